package pm.agent;

import pm.v1.ProcessSpec;

/**
 * TEMPORARY bridge to the node agent's package-private test support ({@link Agents#reference}) until
 * it is public; it lives in the agent's package only to call it.
 */
public final class ReferenceRuns {
    private ReferenceRuns() {}

    /** What {@code spec} prints when run to the end on the runtime alone. */
    public static String of(ProcessSpec spec) {
        return Agents.reference(spec);
    }
}
