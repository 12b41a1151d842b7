package pm.coordinator.placement;

import java.util.Map;
import pm.v1.NodeRecord;

/** A live node as placement sees it: what it offers, what it uses (its report plus reservations since). */
public record Candidate(
        String name,
        long capacityBytes,
        long usedBytes,
        int capacityProcesses,
        int processes,
        double cpuLoad,
        Map<String, String> labels,
        boolean draining) {

    /** {@code labels} is kept as given (a NodeRecord's map is immutable already): no copy per node per decision. */
    public Candidate {}

    /** {@code reservedBytes}: memory promised to processes placed there since the node last reported. */
    public static Candidate of(NodeRecord node, long reservedBytes, boolean draining) {
        return new Candidate(
                node.getName(),
                node.getCapacityBytes(),
                node.getMemoryBytes() + reservedBytes,
                node.getCapacityProcesses(),
                node.getProcesses(),
                node.getCpuLoad(),
                node.getLabelsMap(),
                draining);
    }

    long freeBytes() {
        return capacityBytes - usedBytes;
    }
}
