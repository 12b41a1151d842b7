package pm.coordinator.rebalance;

import java.util.Map;

/**
 * One running (or frozen) process as the rebalancer sees it: where it is, what it uses (memory in
 * bytes, CPU as instructions per second), which nodes it may go to, and whether it may move at all.
 */
public record ProcessDemand(
        String id, String node, long memoryBytes, double cpuRate, Map<String, String> nodeLabels, Mobility mobility) {

    /** Whether the rebalancer may move the process, and if not, why. */
    public enum Mobility {
        FREE,
        PINNED, // placement.pinned, or placement.node names its node
        MIGRATING, // a migration is in flight
        RECENTLY_MOVED // moved within the recent-move cooldown
    }

    public ProcessDemand {
        if (id.isEmpty() || node.isEmpty() || memoryBytes < 0 || !(cpuRate >= 0)) {
            throw new IllegalArgumentException("bad process demand for '" + id + "' on '" + node + "'");
        }
        nodeLabels = Map.copyOf(nodeLabels);
    }

    public boolean movable() {
        return mobility == Mobility.FREE;
    }
}
