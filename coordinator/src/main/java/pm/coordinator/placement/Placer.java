package pm.coordinator.placement;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import pm.coordinator.zk.Membership;
import pm.v1.NodeRecord;

/**
 * Applies {@link Placement} to the live membership and reserves the chosen node's memory until it
 * reports again. Thread-safe: concurrent placements see each other's reservations.
 */
public final class Placer {
    private final Membership membership;
    private final Reservations reservations;

    public Placer(Membership membership, Reservations reservations) {
        this.membership = membership;
        this.reservations = reservations;
    }

    /** The node for a process needing {@code request}, with its memory reserved there. */
    public NodeRecord place(PlacementRequest request) {
        List<Candidate> candidates = new ArrayList<>();
        Set<String> draining = membership.draining();
        for (NodeRecord n : membership.live()) {
            candidates.add(Candidate.of(n, reservations.of(n.getName()), draining.contains(n.getName())));
        }
        String name = Placement.choose(candidates, request);
        reservations.reserve(name, request.memoryBytes());
        return membership.require(name);
    }
}
