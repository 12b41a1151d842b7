package pm.coordinator.rebalance;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import pm.v1.NodeLoad;
import pm.v1.PlannedMove;
import pm.v1.RebalancePlan;

/** A {@link Plan} as the Cluster API reports it: loads before and after per node, the moves. Stateless. */
final class Plans {
    private Plans() {}

    static RebalancePlan toProto(Plan plan) {
        ClusterLoad load = plan.load();
        RebalancePlan.Builder b = RebalancePlan.newBuilder()
                .setImbalanceBefore(plan.imbalanceBefore())
                .setImbalanceAfter(plan.imbalanceAfter())
                .setReason(plan.reason());
        Map<String, Double> before = load.loads();
        for (NodeCapacity n : load.nodes()) {
            b.addBefore(nodeLoad(load, n.name(), before.get(n.name()), List.of()));
            b.addAfter(nodeLoad(load, n.name(), plan.after().getOrDefault(n.name(), 0.0), plan.moves()));
        }
        for (Move m : plan.moves()) {
            b.addMoves(PlannedMove.newBuilder()
                    .setProcessId(m.processId())
                    .setFrom(m.from())
                    .setTo(m.to())
                    .setLoad(m.share())
                    .setMemoryBytes(m.memoryBytes()));
        }
        return b.build();
    }

    /** A node's figures with {@code moves} applied to the processes on it. */
    private static NodeLoad nodeLoad(ClusterLoad load, String node, double share, List<Move> moves) {
        Map<String, String> owner = new HashMap<>();
        load.processes().forEach(p -> owner.put(p.id(), p.node()));
        moves.forEach(m -> owner.put(m.processId(), m.to()));
        int count = 0;
        long memory = 0;
        double cpu = 0;
        for (ProcessDemand p : load.processes()) {
            if (owner.get(p.id()).equals(node)) {
                count++;
                memory += p.memoryBytes();
                cpu += p.cpuRate();
            }
        }
        return NodeLoad.newBuilder()
                .setNode(node)
                .setLoad(share)
                .setTarget(load.target(node))
                .setProcesses(count)
                .setMemoryBytes(memory)
                .setCpuRate(cpu)
                .build();
    }
}
