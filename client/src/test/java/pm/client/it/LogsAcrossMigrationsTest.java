package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import pm.client.ClusterClient;
import pm.client.LogOptions;
import pm.client.SpawnOptions;
import pm.client.StreamHandle;
import pm.client.testing.ClusterExtension;
import pm.client.testing.Guests;
import pm.client.testing.Logs;
import pm.client.testing.PmctlRunner;
import pm.client.testing.TestCluster;
import pm.v1.LogChunk;

/**
 * A follower of a process's log sees exactly what an uninterrupted run prints, however often the process
 * moves while it is followed: no line lost, none repeated, none changed.
 */
@ExtendWith(ClusterExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LogsAcrossMigrationsTest {
    /**
     * About ten milliseconds per tick here once the agents' JIT is warm, so the run (over ten seconds)
     * outlasts three live migrations, which take a second or more each on a loaded two-core machine.
     */
    private static final int TICKS = 1000;

    private static final int SPIN = 20_000;

    private TestCluster cluster;
    private ClusterClient client;
    private String reference;

    @BeforeAll
    void runOnceUninterrupted(TestCluster cluster) {
        this.cluster = cluster;
        this.client = cluster.client();
        client.spawn(spec("logs-reference").build());
        reference = Logs.followToEnd(client, "logs-reference");
        assertThat(reference).contains("tick " + (TICKS - 1) + " ").endsWith("done\n");
    }

    private static SpawnOptions.Builder spec(String id) {
        return Guests.counter(id, TICKS, SPIN, 1 << 20);
    }

    @Test
    void sdkFollowerSeesTheUninterruptedOutputAcrossMigrations() throws Exception {
        List<String> nodes = cluster.activeNodes();
        client.spawn(spec("logs-sdk").onNode(nodes.get(0), false).build());
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        StreamHandle follow = client.async().logs("logs-sdk", LogOptions.follow(), chunk -> {
            if (chunk.getStream() == LogChunk.Stream.STREAM_STDOUT) {
                seen.writeBytes(chunk.getData().toByteArray());
            }
        });

        migrateAroundWhileRunning("logs-sdk", nodes);

        follow.done().get(120, TimeUnit.SECONDS);
        assertThat(seen.toString(StandardCharsets.UTF_8)).isEqualTo(reference);
        assertThat(Logs.stdout(client, "logs-sdk"))
                .as("a plain read after the moves: the retained log travelled along")
                .isEqualTo(reference);
    }

    @Test
    void pmctlLogsFollowSeesTheUninterruptedOutputAcrossMigrations() throws Exception {
        List<String> nodes = cluster.activeNodes();
        client.spawn(spec("logs-pmctl").onNode(nodes.get(0), false).build());
        CompletableFuture<PmctlRunner.Result> follow = CompletableFuture.supplyAsync(
                () -> new PmctlRunner(cluster.coordinatorAddresses()).run("logs", "-f", "logs-pmctl"));

        migrateAroundWhileRunning("logs-pmctl", nodes);

        PmctlRunner.Result result = follow.get(120, TimeUnit.SECONDS);
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.stdout()).isEqualTo(reference);
    }

    /** Moves the process to each other node and back while it runs, each move once it has run on the last node. */
    private void migrateAroundWhileRunning(String id, List<String> nodes) {
        int tick = 3;
        for (String target : List.of(nodes.get(1), nodes.get(2), nodes.get(0))) {
            Logs.awaitTick(client, id, tick);
            assertThat(client.migrate(id, target).getTargetNode()).isEqualTo(target);
            tick = Logs.lastTick(Logs.stdout(client, id)) + 1;
        }
    }
}
