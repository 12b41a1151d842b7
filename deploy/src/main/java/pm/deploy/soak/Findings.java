package pm.deploy.soak;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What the audits and output checks found wrong, by kind, with the first examples word for word.
 * Every kind must stay at zero for a soak to pass. Thread-safe.
 */
public final class Findings {
    /** Kinds of wrong. */
    public enum Kind {
        /** The model expects it; the coordinator does not list it, or no agent hosts it. */
        LOST,
        /** Live on more than one agent. */
        DUPLICATED,
        /** Listed, but hosted by (or recorded for) another node than the one the last successful call named. */
        WRONG_OWNER,
        /** Killed, yet still listed by the coordinator or an agent. */
        NOT_GONE,
        /** Listed by the coordinator, but never spawned by the driver or killed already. */
        STRAY,
        /** In another state than the calls left it in (e.g. running after a successful freeze). */
        STATE_DRIFT,
        /** Output that is not the uninterrupted run's (finished) or not a prefix of it (killed early). */
        OUTPUT_MISMATCH,
        /** The guest failed (trap, limit) instead of finishing. */
        GUEST_FAILED
    }

    private static final int KEPT = 10;
    private final Map<Kind, Long> counts = new EnumMap<>(Kind.class);
    private final List<String> examples = new ArrayList<>();

    synchronized void add(Kind kind, String detail) {
        counts.merge(kind, 1L, Long::sum);
        if (examples.size() < KEPT) {
            examples.add(kind + ": " + detail);
        }
    }

    public synchronized long count(Kind kind) {
        return counts.getOrDefault(kind, 0L);
    }

    public synchronized long total() {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    public synchronized List<String> examples() {
        return List.copyOf(examples);
    }
}
