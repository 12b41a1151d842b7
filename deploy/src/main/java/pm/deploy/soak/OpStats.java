package pm.deploy.soak;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Operations by kind: succeeded, failed legitimately (the process ended on its own before or during
 * the call, so the cluster was right to refuse) and failed unexpectedly; the legitimate reasons
 * counted, the first unexpected failures kept word for word. Thread-safe (one lock; a few thousand
 * calls a minute).
 */
public final class OpStats {
    private static final int KEPT = 20;

    /** Counts of one kind. */
    public record Counts(long ok, long legitimate, long unexpected) {
        public long total() {
            return ok + legitimate + unexpected;
        }
    }

    private final Map<OpKind, long[]> counts = new EnumMap<>(OpKind.class);
    private final Map<String, Long> reasons = new TreeMap<>();
    private final List<String> unexpected = new ArrayList<>();

    synchronized void ok(OpKind kind) {
        slot(kind)[0]++;
    }

    synchronized void legitimate(OpKind kind, String reason) {
        slot(kind)[1]++;
        reasons.merge(kind.label() + ": " + reason, 1L, Long::sum);
    }

    synchronized void unexpected(OpKind kind, String processId, String what) {
        slot(kind)[2]++;
        if (unexpected.size() < KEPT) {
            unexpected.add(kind.label() + " " + processId + ": " + what);
        }
    }

    private long[] slot(OpKind kind) {
        return counts.computeIfAbsent(kind, k -> new long[3]);
    }

    public synchronized Counts of(OpKind kind) {
        long[] c = counts.getOrDefault(kind, new long[3]);
        return new Counts(c[0], c[1], c[2]);
    }

    public synchronized Counts total() {
        long ok = 0;
        long legit = 0;
        long bad = 0;
        for (long[] c : counts.values()) {
            ok += c[0];
            legit += c[1];
            bad += c[2];
        }
        return new Counts(ok, legit, bad);
    }

    /** Legitimate failures by "kind: reason". */
    public synchronized Map<String, Long> legitimateReasons() {
        return Map.copyOf(reasons);
    }

    /** The first unexpected failures, as "kind process: code and message". */
    public synchronized List<String> unexpectedFailures() {
        return List.copyOf(unexpected);
    }
}
