package pm.agent.ownership;

import pm.v1.MigrationStatusReply.Decision;

/**
 * Who decides what this agent may run: itself when it runs standalone, ZooKeeper's ownership
 * records when it is part of a cluster ({@link OwnershipGuard}).
 */
public interface Ownership {
    /** Refuses to start {@code processId} here unless this node owns it at {@code epoch}. */
    void requireOwned(String processId, long epoch);

    /** Whether a process this agent held before a restart, at {@code epoch}, is still its own. */
    boolean owns(String processId, long epoch);

    /** How the migration that brought {@code processId} here under {@code epoch} ended, if the owner records know. */
    Decision decision(String migrationId, String processId, long epoch);

    /**
     * How the migration that is taking {@code processId} away from here at {@code fromEpoch} ended, as
     * far as the source's copy goes: COMMITTED (the process is gone, or past the migration's epoch:
     * this copy is over), ABORTED (the record names this node at {@code fromEpoch} and no migration:
     * this copy carries on), UNDECIDED, or UNSPECIFIED when no record decides (standalone).
     */
    Decision decisionAsSource(String migrationId, String processId, long fromEpoch);

    /** A standalone agent owns what it holds; migrations are decided by their source agent. */
    Ownership STANDALONE = new Ownership() {
        @Override
        public void requireOwned(String processId, long epoch) {}

        @Override
        public boolean owns(String processId, long epoch) {
            return true;
        }

        @Override
        public Decision decision(String migrationId, String processId, long epoch) {
            return Decision.DECISION_UNSPECIFIED;
        }

        @Override
        public Decision decisionAsSource(String migrationId, String processId, long fromEpoch) {
            return Decision.DECISION_UNSPECIFIED;
        }
    };
}
