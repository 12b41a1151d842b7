package pm.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.common.cluster.ClusterLayout;
import pm.coordinator.migration.MigrationObserver;
import pm.v1.ClusterGrpc;
import pm.v1.ClusterMigrateRequest;
import pm.v1.ClusterProcess;
import pm.v1.ClusterSpawnRequest;
import pm.v1.LeaderRequest;
import pm.v1.LogsRequest;
import pm.v1.MigrationJournal;
import pm.v1.MigrationReport;
import pm.v1.Placement;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;

/** Two coordinators: the standby points at the leader, and takes over a migration the leader left half done. */
class LeaderFailoverTest {
    @TempDir
    Path dir;

    private ClusterFixture cluster;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void start() throws Exception {
        cluster = new ClusterFixture(dir).agents("a", "b", "c");
    }

    @AfterEach
    void stop() throws Exception {
        threads.shutdownNow();
        cluster.close();
    }

    /** Holds the first migration that reaches {@code phase} there until released: the leader "dies" at that step. */
    static final class StopAt implements MigrationObserver {
        final MigrationJournal.Phase phase;
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        StopAt(MigrationJournal.Phase phase) {
            this.phase = phase;
        }

        @Override
        public void reached(MigrationJournal journal) {
            if (journal.getPhase() == phase && reached.getCount() > 0) {
                reached.countDown();
                try {
                    release.await(2, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    @Test
    void aStandbyAnswersUnavailableNamingTheLeaderInTheTrailer() throws Exception {
        CoordinatorServer leader = cluster.coordinator("c1");
        cluster.leader();
        CoordinatorServer standby = cluster.coordinator("c2");

        StatusRuntimeException e = catchThrowableOfType(
                StatusRuntimeException.class, () -> cluster.cluster(standby).spawn(ClusterApiTest.spawn("p1", "a")));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(e.getStatus().getDescription()).isEqualTo("not the leader; the leader is at " + leader.address());
        assertThat(e.getTrailers().get(ClusterLayout.LEADER_TRAILER)).isEqualTo(leader.address());
        var info = cluster.cluster(standby).leader(LeaderRequest.getDefaultInstance());
        assertThat(info.getIsLeader()).isFalse();
        assertThat(info.getLeaderAddress()).isEqualTo(leader.address());
        assertThat(info.getThisAddress()).isEqualTo(standby.address());
        assertThat(cluster.record("p1")).isEmpty();
    }

    @Test
    void theStandbyTakesOverWhenTheLeaderCloses() throws Exception {
        CoordinatorServer first = cluster.coordinator("c1");
        cluster.leader();
        CoordinatorServer second = cluster.coordinator("c2");

        first.close();

        assertThat(cluster.leader()).isSameAs(second);
        assertThat(cluster.cluster().spawn(ClusterApiTest.spawn("p1", "a")).getEpoch())
                .isEqualTo(1);
    }

    @Test
    void aNewLeaderRollsBackAMigrationTheOldOneLeftPrepared() throws Exception {
        ProcessSpec spec = Guests.counter(600, 20_000, 1 << 20);
        Future<String> reference = threads.submit(() -> Guests.reference(spec));
        StopAt stop = new StopAt(MigrationJournal.Phase.PHASE_PREPARED);
        CoordinatorServer old = startLeaderThenStandby(stop);
        spawnOnA(spec);

        Future<?> migration = threads.submit(() -> cluster.cluster(old)
                .migrate(ClusterMigrateRequest.newBuilder()
                        .setProcessId("p1")
                        .setTargetNode("b")
                        .build()));
        assertThat(stop.reached.await(60, TimeUnit.SECONDS))
                .as("the migration reached PREPARED")
                .isTrue();
        assertThat(cluster.journals()).hasSize(1);
        assertThat(cluster.record("p1").orElseThrow().getMigrationId()).isNotEmpty();
        old.close();

        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.journals().isEmpty());
        var record = cluster.record("p1").orElseThrow();
        assertThat(record.getOwner()).isEqualTo("a");
        assertThat(record.getEpoch()).isEqualTo(1);
        assertThat(record.getMigrationId()).isEmpty();
        assertThat(cluster.agentsHolding("p1"))
                .as("rolled back: it runs on the source only")
                .containsExactly("a");
        stop.release.countDown();
        assertThat(catchThrowableOfType(ExecutionException.class, () -> migration.get(60, TimeUnit.SECONDS)))
                .as("the old leader's call fails: closing it cancelled the call")
                .hasCauseInstanceOf(StatusRuntimeException.class);

        assertThat(ClusterMigrationTest.followLog(threads, cluster.cluster(), "p1")
                        .get(5, TimeUnit.MINUTES))
                .isEqualTo(reference.get(5, TimeUnit.MINUTES));
        assertThat(cluster.agentsHolding("p1")).containsExactly("a");
    }

    @Test
    void aNewLeaderFinishesAMigrationTheOldOneCommitted() throws Exception {
        ProcessSpec spec = Guests.counter(600, 20_000, 1 << 20);
        Future<String> reference = threads.submit(() -> Guests.reference(spec));
        StopAt stop = new StopAt(MigrationJournal.Phase.PHASE_COMMITTED);
        CoordinatorServer old = startLeaderThenStandby(stop);
        spawnOnA(spec);
        // The output printed on the source stays there: read it from the agent until the source lets go.
        long[] handedOffAt = new long[1];
        Future<String> onSource = threads.submit(() -> ClusterMigrationTest.follow(
                cluster.agentStub("a")
                        .withDeadlineAfter(5, TimeUnit.MINUTES)
                        .logs(LogsRequest.newBuilder()
                                .setProcessId("p1")
                                .setFollow(true)
                                .build()),
                0,
                handedOffAt));

        ClusterMigrateRequest move = ClusterMigrateRequest.newBuilder()
                .setProcessId("p1")
                .setTargetNode("b")
                .setRequestId("move-1")
                .build();
        threads.submit(() -> cluster.cluster(old).migrate(move));
        assertThat(stop.reached.await(60, TimeUnit.SECONDS))
                .as("the migration committed in ZooKeeper")
                .isTrue();
        assertThat(cluster.record("p1").orElseThrow().getOwner()).isEqualTo("b");
        old.close();

        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.journals().isEmpty());
        var record = cluster.record("p1").orElseThrow();
        assertThat(record.getOwner()).isEqualTo("b");
        assertThat(record.getEpoch()).isEqualTo(2);
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(cluster.agentsHolding("p1"))
                        .as("finished: it runs on the target only")
                        .containsExactly("b"));
        // The caller never heard from the old leader and resends: told it committed, not "already runs on node b".
        MigrationReport resent = cluster.cluster().migrate(move);
        assertThat(resent.getTargetNode()).isEqualTo("b");
        assertThat(resent.getEpoch()).isEqualTo(2);
        assertThat(cluster.record("p1").orElseThrow().getEpoch())
                .as("moved once")
                .isEqualTo(2);
        stop.release.countDown();

        String before = onSource.get(60, TimeUnit.SECONDS);
        String after = ClusterMigrationTest.follow(
                cluster.cluster()
                        .withDeadlineAfter(5, TimeUnit.MINUTES)
                        .logs(LogsRequest.newBuilder()
                                .setProcessId("p1")
                                .setFollow(true)
                                .setFromOffset(handedOffAt[0])
                                .build()),
                handedOffAt[0],
                null);
        assertThat(before + after).isEqualTo(reference.get(5, TimeUnit.MINUTES));
        assertThat(cluster.agentsHolding("p1")).containsExactly("b");
    }

    @Test
    void aKillResentToANewLeaderIsAnsweredWithTheFirstOutcome() throws Exception {
        CoordinatorServer old = startLeaderThenStandby(MigrationObserver.NONE);
        spawnOnA(Guests.counter(600, 20_000, 1 << 20));
        ProcessRef p1 = ProcessRef.newBuilder().setProcessId("p1").build();
        assertThat(withRequestId(cluster.cluster(old), "kill-1").kill(p1).getProcessId())
                .isEqualTo("p1");
        old.close(); // its reply lost with it, as far as the caller knows

        CoordinatorServer now = cluster.leader();
        assertThat(now).isNotSameAs(old);
        ClusterProcess resent = withRequestId(cluster.cluster(now), "kill-1").kill(p1);
        assertThat(resent.getProcessId())
                .as("the first kill's reply, from ZooKeeper")
                .isEqualTo("p1");
        StatusRuntimeException another = catchThrowableOfType(
                StatusRuntimeException.class, () -> cluster.cluster(now).kill(p1));
        assertThat(another.getStatus().getCode())
                .as("a new call acts: there is nothing left to kill")
                .isEqualTo(Status.Code.NOT_FOUND);
    }

    private static ClusterGrpc.ClusterBlockingStub withRequestId(ClusterGrpc.ClusterBlockingStub stub, String id) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("pm-request-id", Metadata.ASCII_STRING_MARSHALLER), id);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private CoordinatorServer startLeaderThenStandby(MigrationObserver observer) throws Exception {
        CoordinatorServer old = cluster.coordinator("c1", observer);
        assertThat(cluster.leader()).isSameAs(old);
        cluster.coordinator("c2");
        return old;
    }

    private void spawnOnA(ProcessSpec spec) {
        cluster.cluster()
                .spawn(ClusterSpawnRequest.newBuilder()
                        .setProcessId("p1")
                        .setSpec(spec)
                        .setPlacement(Placement.newBuilder().setNode("a"))
                        .build());
        ClusterMigrationTest.awaitProgress(cluster.cluster(), "p1", 2_000_000);
    }
}
