package pm.common.cluster;

import java.util.Optional;
import pm.v1.OwnershipRecord;

/**
 * How a journalled migration ended, read from the one place that decides it: the process's ownership
 * record, whose rewrite naming the target at the new epoch is the commit point. Every path that ends
 * a migration asks this — the coordinator that drove it after an error, a new leader settling a
 * journal, an agent holding a prepared copy after a restart — so none acts on a guess of its own.
 */
public enum MigrationDecision {
    /** The record names the target at the new epoch: finish it on the agents. */
    COMMITTED,
    /** The record still names this migration at the old epoch: not committed, and nobody has given it up yet. */
    UNDECIDED,
    /** The record names neither the target at the new epoch nor this migration: it did not commit. */
    ABORTED,
    /** The process is gone, or reached the new epoch some other way (recovered elsewhere): nothing of this migration is left to finish. */
    SUPERSEDED;

    /** The decision for migration {@code migrationId} to {@code target} at {@code toEpoch}, given the record as it is now. */
    public static MigrationDecision decide(
            String migrationId, String target, long toEpoch, Optional<OwnershipRecord> record) {
        if (record.isEmpty()) {
            return SUPERSEDED;
        }
        OwnershipRecord r = record.get();
        if (r.getEpoch() == toEpoch && r.getOwner().equals(target)) {
            return COMMITTED;
        }
        if (r.getEpoch() >= toEpoch) {
            return SUPERSEDED;
        }
        return r.getMigrationId().equals(migrationId) ? UNDECIDED : ABORTED;
    }
}
