package pm.coordinator.placement;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Memory promised to processes placed on a node since it last reported its usage, so that placements
 * between two reports do not all pick the same node. Thread-safe.
 */
public final class Reservations {
    private final Map<String, Long> reserved = new ConcurrentHashMap<>();

    public void reserve(String node, long bytes) {
        reserved.merge(node, bytes, Long::sum);
    }

    /** The node reported again: its usage now includes what was reserved. */
    public void reported(String node) {
        reserved.remove(node);
    }

    public long of(String node) {
        return reserved.getOrDefault(node, 0L);
    }
}
