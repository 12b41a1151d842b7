package pm.coordinator.migration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.coordinator.events.EventHub;
import pm.coordinator.zk.OwnershipStore;
import pm.coordinator.zk.RequestLedger;
import pm.v1.ClusterEvent;
import pm.v1.MigrationJournal;
import pm.v1.MigrationReport;

/**
 * What a leader does with journals it did not write (or could not finish): each is settled as the
 * process's ownership record decides ({@link MigrationFinisher#settle}): finished on the agents if
 * the record names the target at the new epoch, rolled back otherwise; the journal goes once that is
 * done. Runs on the coordinator's leader thread: at election, then periodically until every
 * journal is settled (an agent that was unreachable is asked again).
 */
public final class MigrationRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(MigrationRecovery.class);

    private final OwnershipStore store;
    private final MigrationOrchestrator orchestrator;
    private final MigrationFinisher finisher;
    private final EventHub events;
    private final RequestLedger requests;

    public MigrationRecovery(
            OwnershipStore store,
            MigrationOrchestrator orchestrator,
            MigrationFinisher finisher,
            EventHub events,
            RequestLedger requests) {
        this.requests = requests;
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
                LOG.atWarn()
                        .addKeyValue("process", j.getProcessId())
                        .addKeyValue("migration", j.getMigrationId())
                        .setCause(e)
                        .log("could not settle the migration; trying again later");
                left++;
            }
        }
        return left;
    }

    private boolean settle(MigrationJournal j) {
        String detail = "migration " + j.getMigrationId() + " from " + j.getSource() + " to " + j.getTarget();
        switch (finisher.settle(j)) {
            case FINISHED -> {
                events.publish(
                        ClusterEvent.Kind.KIND_MIGRATION_COMMITTED,
                        j.getProcessId(),
                        j.getTarget(),
                        j.getToEpoch(),
                        detail + " finished by a new leader");
                if (!j.getRequestId().isEmpty()) {
                    // Its caller resends (its leader is gone): the resend is told it committed, not that it is on the
                    // target already.
                    requests.recordReply(
                            "migrate",
                            j.getRequestId(),
                            MigrationReport.newBuilder()
                                    .setMigrationId(j.getMigrationId())
                                    .setProcessId(j.getProcessId())
                                    .setSourceNode(j.getSource())
                                    .setTargetNode(j.getTarget())
                                    .setEpoch(j.getToEpoch())
                                    .build());
                }
            }
            case ROLLED_BACK ->
                events.publish(
                        ClusterEvent.Kind.KIND_MIGRATION_ABORTED,
                        j.getProcessId(),
                        j.getSource(),
                        j.getFromEpoch(),
                        detail + " rolled back by a new leader");
            case FORGOTTEN -> {} // killed, or moved on since (its target was lost and it was recovered elsewhere)
            case PENDING -> {
                return false;
            }
        }
        return true;
    }
}
