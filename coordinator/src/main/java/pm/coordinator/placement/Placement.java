package pm.coordinator.placement;

import java.util.Collection;
import java.util.Map;
import pm.coordinator.ClusterException;

/**
 * Picks the node for a process: a pure function of the candidates and the request. A candidate
 * qualifies if it is live, not draining, not excluded, carries every requested label and has room
 * for the process's memory (and a process slot, if it caps them); among those the best score wins:
 * mostly free memory after placing, then idle CPU, then free process slots. One pass, no allocation
 * per candidate: it decides in microseconds for a thousand nodes (see {@code PlacementBench}).
 */
public final class Placement {
    private static final double W_MEMORY = 0.5;
    private static final double W_CPU = 0.3;
    private static final double W_SLOTS = 0.2;

    private Placement() {}

    /** The chosen node's name; NOT_FOUND / FAILED_PRECONDITION for a bad pin, RESOURCE_EXHAUSTED if none fits. */
    public static String choose(Collection<Candidate> nodes, PlacementRequest request) {
        if (!request.pin().isEmpty()) {
            return pinned(nodes, request);
        }
        Candidate best = null;
        double bestScore = Double.NEGATIVE_INFINITY;
        int labelled = 0;
        for (Candidate c : nodes) {
            if (c.draining() || request.exclude().contains(c.name()) || !hasLabels(c.labels(), request.nodeLabels())) {
                continue;
            }
            labelled++;
            if (!fits(c, request.memoryBytes())) {
                continue;
            }
            double s = score(c, request.memoryBytes());
            if (s > bestScore || (s == bestScore && c.name().compareTo(best.name()) < 0)) {
                best = c;
                bestScore = s;
            }
        }
        if (best == null) {
            throw new ClusterException(
                    ClusterException.Reason.NO_CAPACITY,
                    labelled == 0
                            ? "no live, non-draining node"
                                    + (request.nodeLabels().isEmpty() ? "" : " carries labels " + request.nodeLabels())
                            : "no node has room for " + (request.memoryBytes() >> 20) + " MiB");
        }
        return best.name();
    }

    private static String pinned(Collection<Candidate> nodes, PlacementRequest request) {
        for (Candidate c : nodes) {
            if (!c.name().equals(request.pin())) {
                continue;
            }
            if (c.draining()) {
                throw new ClusterException(ClusterException.Reason.WRONG_STATE, "node " + c.name() + " is draining");
            }
            if (request.exclude().contains(c.name())) {
                throw new ClusterException(
                        ClusterException.Reason.WRONG_STATE, "node " + c.name() + " is excluded here");
            }
            if (!hasLabels(c.labels(), request.nodeLabels())) {
                throw new ClusterException(
                        ClusterException.Reason.WRONG_STATE,
                        "node " + c.name() + " does not carry labels " + request.nodeLabels());
            }
            if (!fits(c, request.memoryBytes())) {
                throw new ClusterException(
                        ClusterException.Reason.NO_CAPACITY,
                        "node " + c.name() + " has no room for " + (request.memoryBytes() >> 20) + " MiB");
            }
            return c.name();
        }
        throw ClusterException.noNode(request.pin());
    }

    private static boolean fits(Candidate c, long memory) {
        return c.freeBytes() >= memory && (c.capacityProcesses() == 0 || c.processes() < c.capacityProcesses());
    }

    private static double score(Candidate c, long memory) {
        double freeAfter = c.capacityBytes() == 0 ? 0 : (double) (c.freeBytes() - memory) / c.capacityBytes();
        double idle = 1 - Math.min(1, Math.max(0, c.cpuLoad()));
        double slots = c.capacityProcesses() == 0 ? 1 : 1 - (double) c.processes() / c.capacityProcesses();
        return W_MEMORY * freeAfter + W_CPU * idle + W_SLOTS * slots;
    }

    private static boolean hasLabels(Map<String, String> have, Map<String, String> want) {
        if (want.isEmpty()) {
            return true;
        }
        for (Map.Entry<String, String> e : want.entrySet()) {
            if (!e.getValue().equals(have.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
