package pm.coordinator.rebalance;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The load model's answer for one sample: the nodes (live, not draining), the processes on them,
 * each process's share of the demand and each node's target share. Immutable.
 */
public record ClusterLoad(
        List<NodeCapacity> nodes,
        List<ProcessDemand> processes,
        Map<String, Double> shares,
        Map<String, Double> targets) {

    public ClusterLoad {
        nodes = List.copyOf(nodes);
        processes = List.copyOf(processes);
        shares = Map.copyOf(shares);
        targets = Map.copyOf(targets);
    }

    public double share(String processId) {
        return shares.getOrDefault(processId, 0.0);
    }

    public double target(String node) {
        return targets.getOrDefault(node, 0.0);
    }

    /** Each node's load with the processes where they are now, in node order. */
    public Map<String, Double> loads() {
        Map<String, Double> loads = new LinkedHashMap<>();
        nodes.forEach(n -> loads.put(n.name(), 0.0));
        for (ProcessDemand p : processes) {
            loads.computeIfPresent(p.node(), (n, l) -> l + share(p.id()));
        }
        return loads;
    }

    public double imbalance() {
        return imbalance(loads());
    }

    /** Max over nodes of |load − target| / target; 0 when there is nothing to balance. */
    public double imbalance(Map<String, Double> loads) {
        if (processes.isEmpty()) {
            return 0;
        }
        double worst = 0;
        for (NodeCapacity n : nodes) {
            double target = target(n.name());
            if (target > 0) {
                worst = Math.max(worst, Math.abs(loads.getOrDefault(n.name(), 0.0) - target) / target);
            }
        }
        return worst;
    }
}
