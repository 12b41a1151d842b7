package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import pm.client.ClusterClient;
import pm.client.Input;
import pm.client.SpawnOptions;
import pm.client.testing.ClusterExtension;
import pm.client.testing.PmctlRunner;
import pm.client.testing.TestCluster;
import pm.v1.LogChunk;

/**
 * Processes as jobs: run attached with the program's exit status, wait for one, remove it once it ended;
 * its whole output readable after it ended and after its agent restarted. Store guest
 * ({@code node-agent/src/test/guest/store.c}); every wait polls a condition.
 */
@ExtendWith(ClusterExtension.class)
class JobsTest {
    private static final Path STORE = Paths.get("..", "node-agent", "src", "test", "guest", "wasm", "store.wasm");

    @TempDir
    Path dir;

    private static String text(int size) {
        StringBuilder b = new StringBuilder(size + 64);
        for (int i = 0; b.length() < size; i++) {
            b.append("job line ").append(i).append('\n');
        }
        return b.substring(0, size);
    }

    @Test
    void runAttachedStreamsTheOutputAndExitsWithTheProgramsStatus(TestCluster cluster) throws Exception {
        PmctlRunner pmctl = new PmctlRunner(cluster.coordinatorAddresses());
        String body = text(300_000);
        Path file = Files.writeString(dir.resolve("out.txt"), body);

        PmctlRunner.Result ok = pmctl.run(
                "run",
                "--attach",
                STORE.toString(),
                "--id",
                "job-ok",
                "--file",
                file + "=out.txt",
                "--",
                "-c",
                "out.txt");
        PmctlRunner.Result failing =
                pmctl.run("run", "-a", STORE.toString(), "--id", "job-fail", "--", "-r", "missing.txt");

        assertThat(ok.exitCode()).as(ok.stderr()).isZero();
        assertThat(ok.stdout()).isEqualTo(body);
        assertThat(failing.exitCode()).isEqualTo(1); // the program's own status
        assertThat(failing.stderr()).contains("store: open");
        assertThat(pmctl.run("ps").stdout())
                .containsPattern("(?m)^job-ok +\\S+ +exited\\(0\\) ")
                .containsPattern("(?m)^job-fail +\\S+ +exited\\(1\\) ");
    }

    @Test
    void waitExitsWithTheStatusAndRmRemovesOnlyWhatEnded(TestCluster cluster) throws Exception {
        ClusterClient client = cluster.client();
        PmctlRunner pmctl = new PmctlRunner(cluster.coordinatorAddresses());
        client.spawn(SpawnOptions.builder(STORE)
                .withProcessId("job-usage")
                .withArgs("-z", "a", "b")
                .build()); // usage error: exit 2
        client.spawn(SpawnOptions.builder(STORE)
                .withProcessId("job-alive")
                .withArgs("-w", "never")
                .build());

        assertThat(pmctl.run("wait", "job-usage").exitCode()).isEqualTo(2);
        PmctlRunner.Result rmAlive = pmctl.run("rm", "job-alive");
        assertThat(rmAlive.exitCode()).isEqualTo(1);
        assertThat(rmAlive.stderr()).contains("has not ended");
        PmctlRunner.Result rm = pmctl.run("rm", "job-usage");
        assertThat(rm.exitCode()).as(rm.toString()).isZero();
        assertThat(client.list()).noneMatch(p -> p.getProcessId().equals("job-usage"));
        assertThat(pmctl.run("rm", "--force", "job-alive").exitCode()).isZero();
    }

    @Test
    void sixteenMebibytesOfOutputAreReadInFullAfterTheEndAndAfterTheAgentRestarts(TestCluster cluster)
            throws Exception {
        ClusterClient client = cluster.client();
        String node = "node-jobs";
        cluster.addAgent(node);
        try {
            String body = text(16 << 20);
            Path file = Files.writeString(dir.resolve("big.txt"), body);
            client.spawn(SpawnOptions.builder(STORE)
                    .withProcessId("job-big")
                    .withArgs("-c", "big.txt")
                    .withFile("big.txt", Input.of(file))
                    .onNode(node, false)
                    .build());
            await().atMost(Duration.ofMinutes(3))
                    .until(() -> client.get("job-big").getEndedMillis() > 0);

            assertThat(stdout(client, "job-big")).isEqualTo(body);
            cluster.killAgent(node);
            cluster.addAgent(node); // the same data directory
            assertThat(stdout(client, "job-big")).isEqualTo(body);
            client.kill("job-big");
        } finally {
            cluster.removeAgent(node);
        }
    }

    private static String stdout(ClusterClient client, String id) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        client.logs(id, chunk -> {
            if (chunk.getStream() == LogChunk.Stream.STREAM_STDOUT) {
                out.writeBytes(chunk.getData().toByteArray());
            }
        });
        return out.toString(StandardCharsets.UTF_8);
    }
}
