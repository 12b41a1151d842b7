package pm.coordinator.rebalance;

import java.util.Map;

/**
 * A live, non-draining node as the rebalancer sees it: what it offers (guest memory, process slots;
 * 0 slots = no cap), what it holds now, and its labels.
 */
public record NodeCapacity(
        String name,
        long capacityBytes,
        int capacityProcesses,
        long usedBytes,
        int processes,
        Map<String, String> labels) {

    public NodeCapacity {
        if (name.isEmpty() || capacityBytes < 0 || capacityProcesses < 0 || usedBytes < 0 || processes < 0) {
            throw new IllegalArgumentException("bad node capacity for '" + name + "'");
        }
        labels = Map.copyOf(labels);
    }

    /** Whether the node carries every one of {@code wanted}. */
    public boolean carries(Map<String, String> wanted) {
        for (Map.Entry<String, String> e : wanted.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
