package pm.coordinator.process;

import java.util.Optional;
import pm.coordinator.ClusterException;
import pm.coordinator.zk.Membership;
import pm.v1.NodeRecord;
import pm.v1.OwnershipRecord;

/** Finds the live node that owns a process; UNAVAILABLE if it is down. Stateless. */
public final class Owners {
    private final Membership membership;

    public Owners(Membership membership) {
        this.membership = membership;
    }

    public Optional<NodeRecord> find(OwnershipRecord r) {
        return membership.node(r.getOwner());
    }

    public NodeRecord require(OwnershipRecord r) {
        return find(r).orElseThrow(() -> new ClusterException(
                ClusterException.Reason.UNAVAILABLE,
                "node " + r.getOwner() + " (the owner of " + r.getProcessId() + ") is down"));
    }
}
