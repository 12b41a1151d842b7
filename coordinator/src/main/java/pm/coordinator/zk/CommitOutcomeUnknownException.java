package pm.coordinator.zk;

import pm.coordinator.ClusterException;

/**
 * A migration's commit transaction failed in a way that may have applied it, and ZooKeeper could not be
 * asked: neither side may act on a guess. The journal stays for the migration recovery, which reads it
 * once ZooKeeper answers (COMMITTED: finish; otherwise: roll back).
 */
public final class CommitOutcomeUnknownException extends ClusterException {
    public CommitOutcomeUnknownException(String message, Throwable cause) {
        super(Reason.UNAVAILABLE, message, cause);
    }
}
