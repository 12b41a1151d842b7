package pm.coordinator.rebalance;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When the rebalancer last moved each process, so that a process it moved recently stays put for a
 * while. Kept by this leader only: a new leader starts with none (its first rounds may move a process
 * the old one moved). Written by the migration threads, read by the round; thread-safe.
 */
public final class RecentMoves {
    private final Clock clock;
    private final Map<String, Long> movedAtMillis = new ConcurrentHashMap<>();

    public RecentMoves(Clock clock) {
        this.clock = clock;
    }

    public void moved(String processId) {
        movedAtMillis.put(processId, clock.millis());
    }

    /** Whether {@code processId} moved less than {@code within} ago; forgets moves older than that. */
    public boolean movedWithin(String processId, Duration within) {
        Long at = movedAtMillis.get(processId);
        if (at == null) {
            return false;
        }
        if (clock.millis() - at >= within.toMillis()) {
            movedAtMillis.remove(processId, at);
            return false;
        }
        return true;
    }
}
