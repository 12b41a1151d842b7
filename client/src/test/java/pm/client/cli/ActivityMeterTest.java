package pm.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import pm.v1.ClusterEvent;
import pm.v1.ClusterEvent.Kind;

/** The progress of a migrate or drain: what a log gets off a terminal, and silence for a quick call on one. */
class ActivityMeterTest {
    private final AtomicLong now = new AtomicLong();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private ActivityMeter meter(Set<String> processes, int total, boolean terminal) {
        return new ActivityMeter(
                "drain n1",
                processes,
                total,
                processes.size() + " to move",
                new PrintStream(err, true, StandardCharsets.UTF_8),
                terminal,
                now::get);
    }

    private static ClusterEvent event(Kind kind, String process, String node) {
        return ClusterEvent.newBuilder()
                .setKind(kind)
                .setProcessId(process)
                .setNode(node)
                .setEpoch(2)
                .build();
    }

    private String printed() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void offATerminalEveryStepOfItsProcessesIsOneLineWithTheBarAndTheTime() {
        try (ActivityMeter m = meter(Set.of("p1", "p2"), 2, false)) {
            now.set(500_000_000L);
            m.event(event(Kind.KIND_MIGRATION_STARTED, "p1", "n2"));
            m.event(event(Kind.KIND_MIGRATION_STARTED, "other", "n2")); // not this drain's
            m.event(event(Kind.KIND_FROZEN, "p1", "n1")); // not a step of a move
            now.set(1_500_000_000L);
            m.event(event(Kind.KIND_MIGRATION_COMMITTED, "p1", "n2"));
            now.set(2_000_000_000L);
            m.event(event(Kind.KIND_MIGRATION_ABORTED, "p2", "n1"));
            now.set(3_000_000_000L);
            m.finish("1 moved, 1 not moved, 0 ended");
        }

        assertThat(printed().lines())
                .containsExactly(
                        "drain n1: [--------------------] 0/2  2 to move (0.0 s)",
                        "drain n1: [--------------------] 0/2  moving p1 to n2 (0.5 s)",
                        "drain n1: [##########----------] 1/2  moved p1 to n2, epoch 2 (1.5 s)",
                        "drain n1: [####################] 2/2  could not move p2, it stays on n1 (2.0 s)",
                        "drain n1: [####################] 2/2  1 moved, 1 not moved, 0 ended (3.0 s)");
    }

    @Test
    void theLastLineShowsAFullBarEvenWhenTheStreamMissedTheMoves() {
        try (ActivityMeter m = meter(Set.of("p1", "p2", "p3", "p4"), 4, false)) {
            m.finish("4 moved, 0 not moved, 0 ended");
        }

        assertThat(printed().lines())
                .last()
                .isEqualTo("drain n1: [####################] 4/4  4 moved, 0 not moved, 0 ended (0.0 s)");
    }

    @Test
    void aSingleMigrationHasNoBar() {
        try (ActivityMeter m = new ActivityMeter(
                "migrate p1",
                Set.of("p1"),
                0,
                "asked to move it",
                new PrintStream(err, true, StandardCharsets.UTF_8),
                false,
                now::get)) {
            m.finish("moved from n1 to n2, epoch 2, downtime 1.0 ms");
        }

        assertThat(printed().lines())
                .containsExactly(
                        "migrate p1: asked to move it (0.0 s)",
                        "migrate p1: moved from n1 to n2, epoch 2, downtime 1.0 ms (0.0 s)");
    }

    @Test
    void onATerminalACallThatEndsWithinASecondPrintsNothing() {
        try (ActivityMeter m = meter(Set.of("p1"), 1, true)) {
            now.set(900_000_000L);
            m.event(event(Kind.KIND_MIGRATION_COMMITTED, "p1", "n2"));
            m.finish("1 moved, 0 not moved, 0 ended");
        }

        assertThat(printed()).isEmpty();
    }
}
