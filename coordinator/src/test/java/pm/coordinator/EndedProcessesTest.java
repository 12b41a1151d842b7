package pm.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.coordinator.migration.MigrationObserver;
import pm.v1.ClusterListRequest;
import pm.v1.ClusterProcess;
import pm.v1.ClusterSpawnRequest;
import pm.v1.DrainReport;
import pm.v1.DrainRequest;
import pm.v1.ProcessRef;
import pm.v1.ProcessState;

/**
 * An ended process: its record says how and when it ended; a drain leaves it in place; with a retention
 * it is removed (record and output) once that long has passed, without a retention it stays until removed.
 */
class EndedProcessesTest {
    @TempDir
    Path dir;

    private ClusterFixture cluster;

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private ClusterProcess awaitEnded(String id) {
        await().atMost(Duration.ofMinutes(2))
                .until(() -> cluster.cluster()
                                .get(ProcessRef.newBuilder().setProcessId(id).build())
                                .getEndedMillis()
                        > 0);
        return cluster.cluster().get(ProcessRef.newBuilder().setProcessId(id).build());
    }

    @Test
    void theRecordSaysHowItEndedAndADrainLeavesIt() throws Exception {
        cluster = new ClusterFixture(dir).agents("a", "b");
        cluster.coordinator("c1", MigrationObserver.NONE, c -> c.withKeepEnded(Duration.ZERO));
        cluster.cluster()
                .spawn(ClusterSpawnRequest.newBuilder()
                        .setProcessId("short")
                        .setSpec(Guests.counter(3, 10, 4096))
                        .setPlacement(pm.v1.Placement.newBuilder().setNode("a"))
                        .build());

        ClusterProcess p = awaitEnded("short");
        DrainReport drain =
                cluster.cluster().drain(DrainRequest.newBuilder().setNode("a").build());

        assertThat(p.getState()).isEqualTo(ProcessState.PROCESS_STATE_EXITED);
        assertThat(p.getExitStatus()).isZero();
        assertThat(p.getEndedMillis())
                .isGreaterThanOrEqualTo(p.getCreatedMillis())
                .isPositive();
        assertThat(drain.getEndedList()).containsExactly("short");
        assertThat(drain.getFailedList()).isEmpty();
        assertThat(cluster.record("short")).isPresent(); // kept: no retention
    }

    @Test
    void anEndedProcessIsRemovedOnceItsRetentionHasPassed() throws Exception {
        cluster = new ClusterFixture(dir).agents("a");
        cluster.coordinator("c1", MigrationObserver.NONE, c -> c.withKeepEnded(Duration.ofMillis(1)));
        cluster.cluster()
                .spawn(ClusterSpawnRequest.newBuilder()
                        .setProcessId("gone")
                        .setSpec(Guests.counter(3, 10, 4096))
                        .build());

        await().atMost(Duration.ofMinutes(2)).until(() -> cluster.record("gone").isEmpty());

        assertThat(cluster.cluster()
                        .list(ClusterListRequest.getDefaultInstance())
                        .getProcessesList())
                .noneMatch(x -> x.getProcessId().equals("gone"));
        assertThat(cluster.agentStub("a")
                        .list(pm.v1.ListRequest.getDefaultInstance())
                        .getProcessesList())
                .as("the agent forgot it too")
                .noneMatch(x -> x.getProcessId().equals("gone"));
    }
}
