package pm.coordinator.migration;

import java.util.logging.Level;
import java.util.logging.Logger;
import pm.coordinator.events.EventHub;
import pm.coordinator.zk.OwnershipStore;
import pm.v1.ClusterEvent;
import pm.v1.MigrationJournal;

/**
 * What a leader does with journals it did not write (or could not finish): a COMMITTED migration is
 * finished on the agents, an earlier one is rolled back; either way the journal goes once that
 * is done. Runs on the coordinator's leader thread: at election, then periodically until every
 * journal is settled (an agent that was unreachable is asked again).
 */
public final class MigrationRecovery {
    private static final Logger LOG = Logger.getLogger(MigrationRecovery.class.getName());

    private final OwnershipStore store;
    private final MigrationOrchestrator orchestrator;
    private final MigrationFinisher finisher;
    private final EventHub events;

    public MigrationRecovery(OwnershipStore store, MigrationOrchestrator orchestrator, MigrationFinisher finisher, EventHub events) {
        this.store = store;
        this.orchestrator = orchestrator;
        this.finisher = finisher;
        this.events = events;
    }

    /** Settles every journal not being driven by this coordinator now; returns how many remain unsettled. */
    public int settle() {
        int left = 0;
        for (MigrationJournal j : store.journals()) {
            if (orchestrator.isInFlight(j.getMigrationId())) {
                continue;
            }
            try {
                if (!settle(j)) {
                    left++;
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "could not settle migration " + j.getMigrationId() + "; trying again later", e);
                left++;
            }
        }
        return left;
    }

    private boolean settle(MigrationJournal j) {
        String detail = "migration " + j.getMigrationId() + " from " + j.getSource() + " to " + j.getTarget();
        if (j.getPhase() == MigrationJournal.Phase.PHASE_COMMITTED) {
            var now = store.find(j.getProcessId());
            if (now.isEmpty() || now.get().value().getEpoch() > j.getToEpoch()) {
                // Killed, or moved on since (its target was lost and it was recovered elsewhere): nothing left to tell.
                store.deleteJournal(j.getMigrationId());
                return true;
            }
            if (!finisher.commit(j)) {
                return false;
            }
            store.deleteJournal(j.getMigrationId());
            events.publish(ClusterEvent.Kind.KIND_MIGRATION_COMMITTED, j.getProcessId(), j.getTarget(), j.getToEpoch(),
                    detail + " finished by a new leader");
            return true;
        }
        finisher.rollBack(j);
        events.publish(ClusterEvent.Kind.KIND_MIGRATION_ABORTED, j.getProcessId(), j.getSource(), j.getFromEpoch(),
                detail + " rolled back by a new leader");
        return true;
    }
}
