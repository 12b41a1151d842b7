package pm.deploy.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The driver's own account of what must exist: every process it spawned and has not removed, with
 * the node and state its last successful call left it in, and every process it killed. A worker
 * claims a process before calling the cluster about it, so at most one call per process is in
 * flight; the auditor reads the model only while no call is in flight (see {@link SoakDriver}).
 */
final class SoakModel {
    /** What the driver believes of one process. */
    enum Phase {
        RUNNING,
        FROZEN,
        SUSPENDED,
        ENDED
    }

    /** One process the driver spawned; {@code steps} and {@code work} fix its expected output. */
    static final class Tracked {
        final String id;
        final int steps;
        final int delayMs;
        final int work;
        volatile String owner;
        volatile Phase phase = Phase.RUNNING;
        /** A call about it failed unexpectedly: the next audit takes its owner and state from the cluster. */
        volatile boolean uncertain;
        /** The guest failed instead of finishing (counted as a finding once); its output is not compared. */
        volatile boolean guestFailed;

        private final AtomicBoolean claimed = new AtomicBoolean();

        Tracked(String id, int steps, int delayMs, int work, String owner) {
            this.id = id;
            this.steps = steps;
            this.delayMs = delayMs;
            this.work = work;
            this.owner = owner;
        }

        boolean claim() {
            return claimed.compareAndSet(false, true);
        }

        void release() {
            claimed.set(false);
        }

        @Override
        public String toString() {
            return id + " (" + phase + " on " + owner + ")";
        }
    }

    private final Map<String, Tracked> live = new ConcurrentHashMap<>();
    /** Spawns whose call failed unexpectedly: the process may or may not exist; the next audit decides. */
    private final Map<String, Tracked> pendingSpawns = new ConcurrentHashMap<>();

    private final Set<String> killed = ConcurrentHashMap.newKeySet();
    private final AtomicInteger nextId = new AtomicInteger();
    private final AtomicInteger maxLive = new AtomicInteger();

    String newId() {
        return "soak-" + nextId.incrementAndGet();
    }

    void add(Tracked t) {
        live.put(t.id, t);
        maxLive.accumulateAndGet(live.size(), Math::max);
    }

    void spawnUncertain(Tracked t) {
        pendingSpawns.put(t.id, t);
    }

    Map<String, Tracked> takePendingSpawns() {
        Map<String, Tracked> taken = Map.copyOf(pendingSpawns);
        pendingSpawns.keySet().removeAll(taken.keySet());
        return taken;
    }

    void removeKilled(Tracked t) {
        live.remove(t.id);
        killed.add(t.id);
    }

    int size() {
        return live.size();
    }

    int maxSize() {
        return maxLive.get();
    }

    int killedCount() {
        return killed.size();
    }

    Map<String, Tracked> live() {
        return live;
    }

    Set<String> killed() {
        return killed;
    }

    boolean known(String id) {
        return live.containsKey(id) || killed.contains(id) || pendingSpawns.containsKey(id);
    }

    /** Claims a random unclaimed process in {@code phase} (any phase but ENDED if null), if there is one. */
    Optional<Tracked> claimRandom(Random random, Phase phase) {
        List<Tracked> candidates = new ArrayList<>();
        for (Tracked t : live.values()) {
            if (phase == null ? t.phase != Phase.ENDED : t.phase == phase) {
                candidates.add(t);
            }
        }
        // Sorted so that one seed picks the same way whatever order the map iterates in.
        candidates.sort((a, b) -> a.id.compareTo(b.id));
        while (!candidates.isEmpty()) {
            Tracked t = candidates.remove(random.nextInt(candidates.size()));
            if (t.claim()) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
