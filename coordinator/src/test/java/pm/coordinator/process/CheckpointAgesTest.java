package pm.coordinator.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import pm.v1.CheckpointPolicy;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;

class CheckpointAgesTest {
    private static final long NOW = 1_000_000;

    private final List<OwnershipRecord> records = new ArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final CheckpointAges ages =
            new CheckpointAges(() -> records, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));

    CheckpointAgesTest() {
        ages.bindTo(registry);
    }

    @Test
    void aReplicatedCheckpointGivesTheSameAgeAndLag() {
        records.add(record("p", ProcessState.PROCESS_STATE_RUNNING)
                .setLastCheckpointId("c1")
                .addAllCheckpointNodes(List.of("a1", "a2"))
                .setCheckpointMillis(NOW - 4_000)
                .build());
        ages.refresh();

        assertThat(age("p")).isEqualTo(4.0);
        assertThat(lag("p")).isEqualTo(4.0);
    }

    @Test
    void aCheckpointOnlyItsOwnerHoldsLagsSinceTheProcessWasCreated() {
        records.add(record("p", ProcessState.PROCESS_STATE_FROZEN)
                .setLastCheckpointId("c1")
                .addCheckpointNodes("a1")
                .setCheckpointMillis(NOW - 4_000)
                .build());
        ages.refresh();

        assertThat(age("p")).isEqualTo(4.0);
        assertThat(lag("p")).isEqualTo(60.0);
    }

    @Test
    void aProcessNeverCheckpointedAgesSinceItWasCreated() {
        records.add(record("p", ProcessState.PROCESS_STATE_RUNNING).build());
        ages.refresh();

        assertThat(age("p")).isEqualTo(60.0);
        assertThat(lag("p")).isEqualTo(60.0);
    }

    @Test
    void onlyLiveProcessesWithAnIntervalHaveSeries() {
        records.add(record("ended", ProcessState.PROCESS_STATE_EXITED).build());
        records.add(record("suspended", ProcessState.PROCESS_STATE_SUSPENDED).build());
        records.add(record("no-interval", ProcessState.PROCESS_STATE_RUNNING)
                .setSpec(ProcessSpec.newBuilder()
                        .setCheckpointPolicy(CheckpointPolicy.newBuilder().setOnMigrate(true)))
                .build());
        ages.refresh();

        assertThat(registry.find("pm.checkpoint.age").gauges()).isEmpty();
        assertThat(registry.find("pm.replication.lag").gauges()).isEmpty();
    }

    @Test
    void aProcessThatEndsLosesItsSeriesAtTheNextRefresh() {
        records.add(record("p", ProcessState.PROCESS_STATE_RUNNING).build());
        ages.refresh();
        records.set(
                0,
                records.get(0).toBuilder()
                        .setState(ProcessState.PROCESS_STATE_EXITED)
                        .build());
        ages.refresh();

        assertThat(registry.find("pm.checkpoint.age").gauges()).isEmpty();
    }

    /** Owned by a1, created a minute ago, a checkpoint every 10 s. */
    private static OwnershipRecord.Builder record(String id, ProcessState state) {
        return OwnershipRecord.newBuilder()
                .setProcessId(id)
                .setOwner("a1")
                .setState(state)
                .setCreatedMillis(NOW - 60_000)
                .setSpec(ProcessSpec.newBuilder()
                        .setCheckpointPolicy(CheckpointPolicy.newBuilder().setIntervalMillis(10_000)));
    }

    private double age(String process) {
        return registry.get("pm.checkpoint.age").tag("process", process).gauge().value();
    }

    private double lag(String process) {
        return registry.get("pm.replication.lag")
                .tag("process", process)
                .gauge()
                .value();
    }
}
