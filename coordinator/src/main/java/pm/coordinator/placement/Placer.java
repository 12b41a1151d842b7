package pm.coordinator.placement;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import pm.coordinator.zk.Membership;
import pm.v1.NodeRecord;

/**
 * Applies {@link Placement} to the live membership and reserves the chosen node's memory until it
 * reports again. Thread-safe: concurrent placements see each other's reservations.
 */
public final class Placer {
    private final Membership membership;
    private final Reservations reservations;
    private final Predicate<NodeRecord> answering;

    /** {@code answering}: whether a member answered its last call; one that did not is chosen only if no other fits. */
    public Placer(Membership membership, Reservations reservations, Predicate<NodeRecord> answering) {
        this.membership = membership;
        this.reservations = reservations;
        this.answering = answering;
    }

    /** The node for a process needing {@code request}, with its memory reserved there. */
    public NodeRecord place(PlacementRequest request) {
        List<Candidate> candidates = new ArrayList<>();
        Set<String> draining = membership.draining();
        Set<String> silent = new java.util.HashSet<>();
        for (NodeRecord n : membership.live()) {
            candidates.add(Candidate.of(n, reservations.of(n.getName()), draining.contains(n.getName())));
            if (!answering.test(n)) {
                silent.add(n.getName());
            }
        }
        String name = choose(candidates, request, silent);
        reservations.reserve(name, request.memoryBytes());
        return membership.require(name);
    }

    private static String choose(List<Candidate> candidates, PlacementRequest request, Set<String> silent) {
        if (silent.isEmpty() || !request.pin().isEmpty()) {
            return Placement.choose(candidates, request);
        }
        Set<String> exclude = new java.util.HashSet<>(request.exclude());
        exclude.addAll(silent);
        try {
            return Placement.choose(
                    candidates, new PlacementRequest(request.memoryBytes(), request.nodeLabels(), "", exclude));
        } catch (pm.coordinator.ClusterException e) {
            return Placement.choose(candidates, request); // only silent ones fit: try one rather than refuse
        }
    }
}
