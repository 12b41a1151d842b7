package pm.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.v1.ClusterGrpc;
import pm.v1.ClusterMigrateRequest;
import pm.v1.ClusterSpawnRequest;
import pm.v1.DrainRequest;
import pm.v1.LogChunk;
import pm.v1.LogsRequest;
import pm.v1.MigrationReport;
import pm.v1.Placement;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;

/** Migrations through the Cluster API: the process moves whole, its log follows it, its epoch rises. */
class ClusterMigrationTest {
    @TempDir
    Path dir;

    private ClusterFixture cluster;
    private ClusterGrpc.ClusterBlockingStub api;
    private final ExecutorService followers = Executors.newCachedThreadPool();

    @BeforeEach
    void start() throws Exception {
        cluster = new ClusterFixture(dir).agents("a", "b", "c");
        cluster.coordinator("c1");
        api = cluster.cluster();
    }

    @AfterEach
    void stop() throws Exception {
        followers.shutdownNow();
        cluster.close();
    }

    /** Follows the process's stdout through the Cluster API from the start until the stream ends. */
    static Future<String> followLog(ExecutorService pool, ClusterGrpc.ClusterBlockingStub api, String id) {
        return pool.submit(() -> follow(
                api.withDeadlineAfter(10, TimeUnit.MINUTES)
                        .logs(LogsRequest.newBuilder()
                                .setProcessId(id)
                                .setFollow(true)
                                .build()),
                0,
                null));
    }

    /** The stdout in {@code chunks} from {@code offset} on, checking there is no gap or repeat; the end offset goes to {@code end}. */
    static String follow(Iterator<LogChunk> chunks, long offset, long[] end) {
        StringBuilder out = new StringBuilder();
        long expected = offset;
        while (chunks.hasNext()) {
            LogChunk c = chunks.next();
            if (c.getOffset() != expected) {
                throw new AssertionError("log gap or repeat: expected offset " + expected + ", got " + c.getOffset());
            }
            expected += c.getData().size();
            if (c.getStream() == LogChunk.Stream.STREAM_STDOUT) {
                out.append(c.getData().toStringUtf8());
            }
        }
        if (end != null) {
            end[0] = expected;
        }
        return out.toString();
    }

    /** Waits until the process has run {@code instructions} more on its owner: it makes progress on every node. */
    static void awaitProgress(ClusterGrpc.ClusterBlockingStub api, String id, long instructions) {
        ProcessRef ref = ProcessRef.newBuilder().setProcessId(id).build();
        long target = api.get(ref).getInfo().getInstructionsRetired() + instructions;
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(10))
                .until(() -> api.get(ref).getInfo().getInstructionsRetired() >= target);
    }

    @Test
    void aRunningCounterMovesAcrossThreeNodesWithItsOutputWholeAndItsEpochRising() throws Exception {
        ProcessSpec spec = Guests.counter(1500, 20_000, 1 << 20);
        Future<String> reference = followers.submit(() -> Guests.reference(spec));
        api.spawn(ClusterSpawnRequest.newBuilder()
                .setProcessId("p1")
                .setSpec(spec)
                .setPlacement(Placement.newBuilder().setNode("a"))
                .build());
        Future<String> log = followLog(followers, api, "p1");

        String[] nodes = {"a", "b", "c"};
        for (int hop = 0; hop < 6; hop++) {
            awaitProgress(api, "p1", 2_000_000);
            String to = nodes[(hop + 1) % 3];
            MigrationReport report = api.migrate(ClusterMigrateRequest.newBuilder()
                    .setProcessId("p1")
                    .setTargetNode(to)
                    .build());

            assertThat(report.getSourceNode()).isEqualTo(nodes[hop % 3]);
            assertThat(report.getTargetNode()).isEqualTo(to);
            assertThat(report.getEpoch()).isEqualTo(hop + 2);
            assertThat(report.getTransfer().getPagesSent()).isPositive();
            var record = cluster.record("p1").orElseThrow();
            assertThat(record.getOwner()).isEqualTo(to);
            assertThat(record.getEpoch()).isEqualTo(hop + 2);
            assertThat(record.getMigrationId()).isEmpty();
            assertThat(cluster.journals()).isEmpty();
            assertThat(cluster.agentsHolding("p1")).containsExactly(to);
        }

        String expected = reference.get(5, TimeUnit.MINUTES);
        assertThat(expected).contains("ticks file: 1500 lines");
        assertThat(log.get(5, TimeUnit.MINUTES)).isEqualTo(expected);
        assertThat(cluster.leader().metrics().scrape())
                .containsPattern("pm_cluster_migrations_total\\{[^}]*outcome=\"committed\"[^}]*} 6")
                .containsPattern("pm_cluster_spawns_total\\{[^}]*outcome=\"ok\"[^}]*} 1");
    }

    @Test
    void withoutATargetPlacementPicksAnotherNode() throws Exception {
        api.spawn(ClusterApiTest.spawn("p1", "b"));

        MigrationReport report = api.migrate(
                ClusterMigrateRequest.newBuilder().setProcessId("p1").build());

        assertThat(report.getTargetNode()).isIn("a", "c");
        assertThat(cluster.agentsHolding("p1")).containsExactly(report.getTargetNode());
    }

    @Test
    void drainMovesEveryUnpinnedProcessOffTheNode() throws Exception {
        for (int i = 0; i < 3; i++) {
            api.spawn(ClusterApiTest.spawn("p" + i, "a"));
        }
        api.spawn(ClusterApiTest.spawn("pinned", "a").toBuilder()
                .setPlacement(Placement.newBuilder().setNode("a").setPinned(true))
                .build());

        var report = api.drain(DrainRequest.newBuilder().setNode("a").build());

        assertThat(report.getMovedList())
                .extracting(MigrationReport::getProcessId)
                .containsExactlyInAnyOrder("p0", "p1", "p2");
        assertThat(report.getMovedList())
                .allSatisfy(m -> assertThat(m.getTargetNode()).isIn("b", "c"));
        assertThat(report.getFailedList()).containsExactly("pinned: pinned to a");
        for (String id : new String[] {"p0", "p1", "p2"}) {
            assertThat(cluster.record(id).orElseThrow().getOwner()).isNotEqualTo("a");
            assertThat(cluster.agentsHolding(id)).hasSize(1).doesNotContain("a");
        }
        assertThat(api.nodes(pm.v1.NodesRequest.getDefaultInstance()).getNodesList())
                .filteredOn(n -> n.getRecord().getName().equals("a"))
                .singleElement()
                .satisfies(n -> {
                    assertThat(n.getDraining()).isTrue();
                    assertThat(n.getOwnedProcesses()).isEqualTo(1);
                });
    }
}
