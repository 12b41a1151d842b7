package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import pm.client.ClusterClient;
import pm.client.Input;
import pm.client.SpawnOptions;
import pm.client.testing.ClusterExtension;
import pm.client.testing.Logs;
import pm.client.testing.PmctlRunner;
import pm.client.testing.TestCluster;
import pm.v1.MigrationReport;
import pm.v1.ProcessState;

/**
 * {@code pmctl cp}: files into and out of a process's /data, while it runs (it waits for the file the test
 * puts in, so nothing here depends on timing), after live migrations, and after it ended; an input file
 * travels by reference, not by value, when the process moves.
 */
@ExtendWith(ClusterExtension.class)
class CopyTest {
    private static final Path STORE = Paths.get("..", "node-agent", "src", "test", "guest", "wasm", "store.wasm");

    @TempDir
    Path dir;

    @Test
    void filesGoInAndOutOfARunningProcessThatMovedAndAnEndedOne(TestCluster cluster) throws Exception {
        ClusterClient client = cluster.client();
        PmctlRunner pmctl = new PmctlRunner(cluster.coordinatorAddresses());
        byte[] input = new byte[8 << 20];
        new Random(5).nextBytes(input);
        Path inputFile = Files.write(dir.resolve("input.bin"), input);
        client.spawn(SpawnOptions.builder(STORE)
                .withProcessId("cp-1")
                .withArgs("-w", "go.txt")
                .withFile("input.bin", Input.of(inputFile))
                .build());

        for (int i = 0; i < 2; i++) {
            MigrationReport moved = client.migrate("cp-1");
            // the 8 MiB input stays where it is stored: the image names it by hash
            assertThat(moved.getTransfer().getBytesSent())
                    .as("bytes sent by move " + i)
                    .isLessThan(input.length / 4);
        }
        PmctlRunner.Result out =
                pmctl.run("cp", "cp-1:/data/input.bin", dir.resolve("copy.bin").toString());
        assertThat(out.exitCode()).as(out.toString()).isZero();
        assertThat(Files.readAllBytes(dir.resolve("copy.bin"))).isEqualTo(input);
        assertThat(client.get("cp-1").getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);

        Path go = Files.writeString(dir.resolve("go.txt"), "hello from the test\n");
        PmctlRunner.Result in = pmctl.run("cp", go.toString(), "cp-1:/data/go.txt");
        assertThat(in.exitCode()).as(in.toString()).isZero();
        await().atMost(Duration.ofMinutes(2)).until(() -> client.get("cp-1").getEndedMillis() > 0);
        assertThat(Logs.stdout(client, "cp-1"))
                .isEqualTo("read 20 bytes, fnv1a " + fnv1a("hello from the test\n".getBytes(StandardCharsets.UTF_8))
                        + "\n");

        PmctlRunner.Result after = pmctl.run("cp", "cp-1:go.txt", "-");
        assertThat(after.exitCode()).as(after.toString()).isZero();
        assertThat(after.stdout()).isEqualTo("hello from the test\n");
    }

    @Test
    void badCopiesAreOneLineErrorsAndChangeNothing(TestCluster cluster) throws Exception {
        ClusterClient client = cluster.client();
        PmctlRunner pmctl = new PmctlRunner(cluster.coordinatorAddresses());
        client.spawn(SpawnOptions.builder(STORE)
                .withProcessId("cp-2")
                .withArgs("-w", "never")
                .build());

        PmctlRunner.Result missing =
                pmctl.run("cp", "cp-2:/data/nothing", dir.resolve("x").toString());
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.stderr()).hasLineCount(1).contains("NOT_FOUND");
        assertThat(dir.resolve("x")).doesNotExist();
        assertThat(dir.resolve("x.partial")).doesNotExist();

        PmctlRunner.Result outside =
                pmctl.run("cp", "cp-2:/etc/passwd", dir.resolve("y").toString());
        assertThat(outside.exitCode()).isEqualTo(1);
        assertThat(outside.stderr())
                .hasLineCount(1)
                .contains("INVALID_ARGUMENT")
                .contains("under /data");

        PmctlRunner.Result bothLocal = pmctl.run("cp", "a", "b");
        assertThat(bothLocal.exitCode()).isEqualTo(2);

        client.suspend("cp-2");
        Path f = Files.writeString(dir.resolve("f"), "x");
        PmctlRunner.Result suspended = pmctl.run("cp", f.toString(), "cp-2:/data/f");
        assertThat(suspended.exitCode()).isEqualTo(1);
        assertThat(suspended.stderr()).hasLineCount(1).contains("WRONG_STATE");
        client.kill("cp-2");
    }

    private static String fnv1a(byte[] bytes) {
        int h = 0x811c9dc5;
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * 16777619;
        }
        return String.format("%08x", h);
    }
}
