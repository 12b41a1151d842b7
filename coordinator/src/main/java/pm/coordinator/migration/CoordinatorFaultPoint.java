package pm.coordinator.migration;

import java.util.Map;
import pm.v1.MigrationJournal;

/**
 * A named journal phase at which this coordinator dies as by kill -9 ({@code Runtime.halt}: no
 * shutdown hooks, its ZooKeeper session left to expire), to prove that a standby settles what it
 * left: {@code coordinator.started} (the journal says STARTED, nothing moved yet) and
 * {@code coordinator.committed} (the ownership record names the target, the agents were not told).
 * Immutable.
 */
public final class CoordinatorFaultPoint implements MigrationObserver {
    public static final String STARTED = "coordinator.started";
    public static final String COMMITTED = "coordinator.committed";

    private static final Map<String, MigrationJournal.Phase> PHASES = Map.of(
            STARTED, MigrationJournal.Phase.PHASE_STARTED,
            COMMITTED, MigrationJournal.Phase.PHASE_COMMITTED);

    private final String name;
    private final MigrationJournal.Phase phase;

    private CoordinatorFaultPoint(String name, MigrationJournal.Phase phase) {
        this.name = name;
        this.phase = phase;
    }

    /** The observer for {@code point}: {@link MigrationObserver#NONE} for an empty one. */
    public static MigrationObserver parse(String point) {
        if (point == null || point.isEmpty()) {
            return MigrationObserver.NONE;
        }
        MigrationJournal.Phase phase = PHASES.get(point);
        if (phase == null) {
            throw new IllegalArgumentException(
                    "unknown coordinator fault point " + point + "; known: " + PHASES.keySet());
        }
        return new CoordinatorFaultPoint(point, phase);
    }

    @Override
    public void reached(MigrationJournal journal) {
        if (journal.getPhase() == phase) {
            System.err.println("fault point " + name + " (migration " + journal.getMigrationId() + "): halting");
            System.err.flush();
            Runtime.getRuntime().halt(137);
        }
    }
}
