package pm.agent;

/**
 * Named points in the migration protocol where a test can make this agent die as by kill -9
 * ({@code Runtime.halt}: no shutdown hooks, no flushing), to prove what survives each phase.
 * Inert unless the agent was started with a fault point. Immutable.
 */
final class FaultPoints {
    static final String SOURCE_PRECOPY = "source.precopy";
    static final String SOURCE_FROZEN = "source.frozen";
    static final String SOURCE_FINAL_SENT = "source.final-sent";
    static final String SOURCE_BEFORE_COMMIT = "source.before-commit";
    static final String SOURCE_AFTER_COMMIT = "source.after-commit";
    static final String TARGET_PRECOPY = "target.precopy";
    static final String TARGET_FINAL = "target.final";
    static final String TARGET_PREPARED = "target.prepared";
    static final String TARGET_AFTER_COMMIT = "target.after-commit";

    private final String armed;

    FaultPoints(String armed) {
        this.armed = armed == null ? "" : armed;
    }

    void hit(String point) {
        if (armed.equals(point)) {
            System.err.println("fault point " + point + ": halting");
            Runtime.getRuntime().halt(137);
        }
    }
}
