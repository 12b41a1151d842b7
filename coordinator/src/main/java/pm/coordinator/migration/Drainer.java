package pm.coordinator.migration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.coordinator.ClusterException;
import pm.coordinator.events.EventHub;
import pm.coordinator.zk.Membership;
import pm.coordinator.zk.OwnershipStore;
import pm.coordinator.zk.RecordStates;
import pm.coordinator.zk.Versioned;
import pm.v1.ClusterEvent;
import pm.v1.DrainReport;
import pm.v1.OwnershipRecord;

/**
 * Drains a node: marks it draining (placement stops choosing it at once, and the mark survives a
 * leader change), then migrates every process it owns that is not pinned to a node placement picks,
 * one at a time; a process already migrating (a rebalancing move) is waited for, then moved if it is
 * still there. Runs on the caller's thread.
 */
public final class Drainer {
    private static final Logger LOG = LoggerFactory.getLogger(Drainer.class);
    private static final long SETTLE_MILLIS = 60_000;

    private final Membership membership;
    private final OwnershipStore store;
    private final MigrationOrchestrator orchestrator;
    private final EventHub events;

    public Drainer(Membership membership, OwnershipStore store, MigrationOrchestrator orchestrator, EventHub events) {
        this.membership = membership;
        this.store = store;
        this.orchestrator = orchestrator;
        this.events = events;
    }

    public DrainReport drain(String node) {
        membership.require(node);
        membership.markDraining(node);
        events.publish(ClusterEvent.Kind.KIND_NODE_DRAINING, "", node, 0, "node " + node + " is draining");
        DrainReport.Builder report = DrainReport.newBuilder().setNode(node);
        for (Versioned<OwnershipRecord> v : store.all()) {
            OwnershipRecord r = v.value();
            if (!r.getOwner().equals(node)) {
                continue;
            }
            if (RecordStates.ended(r)) {
                report.addEnded(r.getProcessId()); // nothing runs; its record and logs stay where they are
                continue;
            }
            if (r.getPlacement().getPinned()) {
                report.addFailed(r.getProcessId() + ": pinned to " + node);
                continue;
            }
            try {
                // A migration already in flight (the rebalancer's, say) ends first; if it took the process away, good.
                if (!settled(r.getProcessId()).getOwner().equals(node)) {
                    continue;
                }
                report.addMoved(orchestrator.migrate(r.getProcessId(), "", 0));
            } catch (RuntimeException e) {
                LOG.info("drain of " + node + " could not move " + r.getProcessId() + ": " + e.getMessage());
                report.addFailed(r.getProcessId() + ": " + e.getMessage());
            }
        }
        return report.build();
    }

    /** The record once no migration is in flight (waits up to {@link #SETTLE_MILLIS}; the record as it is then). */
    private OwnershipRecord settled(String processId) {
        long deadline = System.nanoTime() + SETTLE_MILLIS * 1_000_000;
        OwnershipRecord r = store.get(processId).value();
        while (!r.getMigrationId().isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClusterException(ClusterException.Reason.UNAVAILABLE, "interrupted while draining", e);
            }
            r = store.get(processId).value();
        }
        return r;
    }
}
