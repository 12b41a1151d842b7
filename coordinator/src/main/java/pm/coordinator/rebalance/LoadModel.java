package pm.coordinator.rebalance;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The load model, a pure function. A process's demand is its weighted share of the cluster's totals
 * in three dimensions (memory in use, CPU rate, and one for being a process); a node's load is the sum
 * of its processes' shares, so the loads add up to 1. A node's target is its weighted share of the
 * capacity in the same dimensions: memory by {@code capacity_bytes}, processes by
 * {@code capacity_processes} (equal shares if a node sets no cap), CPU in equal shares (a node record
 * does not say how fast a node is). A dimension whose cluster total is zero (or, for CPU, below
 * {@code cpuFloor}: a few idle wake-ups would otherwise make one process look like the cluster's whole
 * CPU load) drops out and the other weights are renormalised.
 */
public final class LoadModel {
    public static final double W_MEMORY = 0.4;
    public static final double W_CPU = 0.4;
    public static final double W_COUNT = 0.2;
    /** Instructions per second, cluster-wide, below which CPU is noise: about 0.3 % of one worker. */
    public static final double DEFAULT_CPU_FLOOR = 1_000_000;

    private LoadModel() {}

    public static ClusterLoad evaluate(List<NodeCapacity> nodes, List<ProcessDemand> processes) {
        return evaluate(nodes, processes, DEFAULT_CPU_FLOOR);
    }

    public static ClusterLoad evaluate(List<NodeCapacity> nodes, List<ProcessDemand> processes, double cpuFloor) {
        long totalMemory = 0;
        double totalCpu = 0;
        for (ProcessDemand p : processes) {
            totalMemory += p.memoryBytes();
            totalCpu += p.cpuRate();
        }
        double wMemory = totalMemory > 0 ? W_MEMORY : 0;
        double wCpu = totalCpu >= cpuFloor && totalCpu > 0 ? W_CPU : 0;
        double wCount = processes.isEmpty() ? 0 : W_COUNT;
        double sum = wMemory + wCpu + wCount;
        if (sum > 0) {
            wMemory /= sum;
            wCpu /= sum;
            wCount /= sum;
        }

        Map<String, Double> shares = new HashMap<>();
        for (ProcessDemand p : processes) {
            double s = 0;
            if (wMemory > 0) {
                s += wMemory * p.memoryBytes() / totalMemory;
            }
            if (wCpu > 0) {
                s += wCpu * p.cpuRate() / totalCpu;
            }
            if (wCount > 0) {
                s += wCount / processes.size();
            }
            shares.put(p.id(), s);
        }

        long capacityBytes = 0;
        long capacitySlots = 0;
        boolean everyNodeCaps = true;
        for (NodeCapacity n : nodes) {
            capacityBytes += n.capacityBytes();
            capacitySlots += n.capacityProcesses();
            everyNodeCaps &= n.capacityProcesses() > 0;
        }
        // With no process there is no demand: every target is the plain capacity share.
        if (sum == 0) {
            wMemory = 1;
        }
        Map<String, Double> targets = new HashMap<>();
        for (NodeCapacity n : nodes) {
            double equal = 1.0 / nodes.size();
            double memoryShare = capacityBytes > 0 ? (double) n.capacityBytes() / capacityBytes : equal;
            double slotShare =
                    everyNodeCaps && capacitySlots > 0 ? (double) n.capacityProcesses() / capacitySlots : equal;
            targets.put(n.name(), wMemory * memoryShare + wCpu * equal + wCount * slotShare);
        }
        return new ClusterLoad(nodes, processes, shares, targets);
    }
}
