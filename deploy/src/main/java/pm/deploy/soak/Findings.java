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
        LOST(true),
        /** Live on more than one agent. */
        DUPLICATED(true),
        /** Listed, but hosted by (or recorded for) another node than the one the last successful call named. */
        WRONG_OWNER(true),
        /** Killed, yet still listed by the coordinator or an agent. */
        NOT_GONE(true),
        /** Listed by the coordinator, but never spawned by the driver or killed already. */
        STRAY(false),
        /** In another state than the calls left it in (e.g. running after a successful freeze). */
        STATE_DRIFT(true),
        /** Output that is not the uninterrupted run's (finished) or not a prefix of it (killed early). */
        OUTPUT_MISMATCH(false),
        /** The guest failed (trap, limit) instead of finishing. */
        GUEST_FAILED(false);

        /**
         * Whether a fault the audit overlapped explains it: the cluster is allowed to disagree with the
         * model until it has settled. Nothing explains a stray, wrong output or a failed guest.
         */
        final boolean explainedByFault;

        Kind(boolean explainedByFault) {
            this.explainedByFault = explainedByFault;
        }
    }

    private static final int KEPT = 10;
    private final Map<Kind, Long> counts = new EnumMap<>(Kind.class);
    private final List<String> examples = new ArrayList<>();

    /** One thing found wrong, as an audit reports it before the run judges whether it counts. */
    record Finding(Kind kind, String detail) {}

    synchronized void add(Finding f) {
        add(f.kind(), f.detail());
    }

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
