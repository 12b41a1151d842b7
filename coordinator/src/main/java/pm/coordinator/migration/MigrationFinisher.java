package pm.coordinator.migration;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.common.cluster.MigrationDecision;
import pm.coordinator.ClusterException;
import pm.coordinator.agent.AgentCall;
import pm.coordinator.agent.AgentClients;
import pm.coordinator.zk.Membership;
import pm.coordinator.zk.OwnershipStore;
import pm.coordinator.zk.Versioned;
import pm.v1.MigrationJournal;
import pm.v1.MigrationOutcome;
import pm.v1.MigrationRef;
import pm.v1.NodeRecord;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessRef;
import pm.v1.ProcessState;

/**
 * The agent-side ends of a journalled migration, shared by the orchestrator and by a new leader:
 * {@link #commit} tells both agents of a committed migration, {@link #settle} ends one as its
 * ownership record decides. Both are idempotent, so either may run again after a crash. Calls about a migration carry its {@code to_epoch}: the epoch the
 * target holds it under. Stateless; runs on the caller's thread.
 */
public final class MigrationFinisher {
    private static final Logger LOG = LoggerFactory.getLogger(MigrationFinisher.class);
    /** How long a rollback waits for a source still pre-copying (its abort is refused until it holds the result). */
    private static final Duration PRECOPY_WAIT = Duration.ofMinutes(2);

    private final OwnershipStore store;
    private final Membership membership;
    private final AgentClients agents;

    public MigrationFinisher(OwnershipStore store, Membership membership, AgentClients agents) {
        this.store = store;
        this.membership = membership;
        this.agents = agents;
    }

    /**
     * Tells the source and the target, side by side, that the migration committed; true once the
     * target is known to run it (the journal can go), false if an agent could not be reached (try
     * again later). Side by side is safe because the commit point is the ownership record, already
     * written: a target that restarts before its OWNED record is on disk learns the outcome from
     * ZooKeeper, not from the source. Returns only after the source answered too, so the old copy
     * is gone when the caller reports the move.
     */
    public boolean commit(MigrationJournal j) {
        return tell(j).targetRuns();
    }

    /** How telling the agents of a commit went: whether the target is known to run the process, and when it answered. */
    public record Told(boolean targetRuns, long targetAnsweredNanos) {}

    /**
     * As {@link #commit}, also saying when (System.nanoTime()) the target answered: the process runs from
     * then on, while the source may still be letting its copy go.
     */
    public Told tell(MigrationJournal j) {
        MigrationRef ref = ref(j);
        Optional<ListenableFuture<MigrationOutcome>> source = membership
                .node(j.getSource())
                .map(n -> agents.future(n, j.getToEpoch()).commitMigration(ref));
        try {
            boolean runs = commitOnTarget(j, ref);
            return new Told(runs, System.nanoTime());
        } finally {
            source.ifPresent(f -> awaitSource(j, f));
        }
    }

    private static void awaitSource(MigrationJournal j, ListenableFuture<MigrationOutcome> f) {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            StatusRuntimeException s = e.getCause() instanceof StatusRuntimeException sre
                    ? sre
                    : io.grpc.Status.fromThrowable(e.getCause()).asRuntimeException();
            if (!AgentCall.notFound(s) && !AgentCall.unreachable(s)) {
                LOG.atWarn()
                        .addKeyValue("process", j.getProcessId())
                        .addKeyValue("migration", j.getMigrationId())
                        .setCause(s)
                        .log("source {} refused to commit the migration", j.getSource());
            }
            // NOT_FOUND: it committed already; unreachable: the target was told all the same
        }
    }

    private boolean commitOnTarget(MigrationJournal j, MigrationRef ref) {
        Optional<NodeRecord> target = membership.node(j.getTarget());
        if (target.isEmpty()) {
            return false;
        }
        try {
            agents.blocking(target.get(), j.getToEpoch()).commitMigration(ref);
            return true;
        } catch (StatusRuntimeException e) {
            if (!AgentCall.notFound(e)) {
                return false;
            }
        }
        // NOT_FOUND: the target committed already (told by the source) if it runs the process at the new epoch.
        try {
            var info = agents.blocking(target.get(), j.getToEpoch())
                    .get(ProcessRef.newBuilder().setProcessId(j.getProcessId()).build());
            return info.getEpoch() >= j.getToEpoch() && info.getState() != ProcessState.PROCESS_STATE_PREPARED;
        } catch (StatusRuntimeException e) {
            return false;
        }
    }

    /** How {@link #settle} left a migration. */
    public enum Settled {
        /** Committed (the record said so) and the target runs it: the journal is gone. */
        FINISHED,
        /** Not committed: the record no longer names it, both agents were told to abort, the journal is gone. */
        ROLLED_BACK,
        /** The process is gone or past the migration's epoch: the journal is gone, nothing else to do. */
        FORGOTTEN,
        /** Committed, but the target could not be told yet: the journal stays; settle again later. */
        PENDING
    }

    /**
     * Ends migration {@code j} as its ownership record decides ({@link MigrationDecision}): finishes a
     * committed one, rolls back one that did not commit, drops the journal of one that is past. An
     * undecided one is given up first by clearing the record's migration id (a version-checked write,
     * so a commit still on its way from another coordinator either landed before it — then this call
     * finishes it — or fails); only then are the agents told to abort, so the source never runs again
     * while the record could still name the target. The coordinator that drove the migration, and a
     * new leader settling its journal, both end it here. Idempotent.
     */
    public Settled settle(MigrationJournal j) {
        for (int attempt = 0; attempt < 5; attempt++) {
            Optional<Versioned<OwnershipRecord>> r = store.find(j.getProcessId());
            switch (MigrationDecision.decide(
                    j.getMigrationId(), j.getTarget(), j.getToEpoch(), r.map(Versioned::value))) {
                case COMMITTED -> {
                    if (!commit(j)) {
                        return Settled.PENDING;
                    }
                    store.deleteJournal(j.getMigrationId());
                    return Settled.FINISHED;
                }
                case SUPERSEDED -> {
                    store.deleteJournal(j.getMigrationId());
                    return Settled.FORGOTTEN;
                }
                case UNDECIDED -> {
                    try {
                        store.update(
                                r.get().value().toBuilder().setMigrationId("").build(),
                                r.get().version());
                    } catch (ClusterException e) {
                        if (e.reason() != ClusterException.Reason.CONFLICT) {
                            throw e;
                        }
                        continue; // the record changed: decide again from what it says now
                    }
                    abortOnBoth(j);
                    return Settled.ROLLED_BACK;
                }
                case ABORTED -> {
                    abortOnBoth(j);
                    return Settled.ROLLED_BACK;
                }
            }
        }
        throw new ClusterException(
                ClusterException.Reason.CONFLICT,
                "process " + j.getProcessId() + "'s record kept changing while migration " + j.getMigrationId()
                        + " was being settled");
    }

    /** Aborts on source and target (NOT_FOUND is fine: nothing to abort) and drops the journal. */
    private void abortOnBoth(MigrationJournal j) {
        abortOnSource(j);
        membership.node(j.getTarget()).ifPresent(t -> abort(t, j));
        store.deleteJournal(j.getMigrationId());
    }

    private void abortOnSource(MigrationJournal j) {
        long deadline = System.nanoTime() + PRECOPY_WAIT.toNanos();
        while (true) {
            Optional<NodeRecord> source = membership.node(j.getSource());
            if (source.isEmpty()
                    || abort(source.get(), j)
                    || !preCopying(source.get(), j)
                    || System.nanoTime() > deadline) {
                return;
            }
            try {
                Thread.sleep(100); // polling an agent that offers no "wait for the end of pre-copy" call
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** True if the agent aborted a migration it held. */
    private boolean abort(NodeRecord node, MigrationJournal j) {
        try {
            agents.blocking(node, j.getToEpoch()).abortMigration(ref(j));
            return true;
        } catch (StatusRuntimeException e) {
            if (!AgentCall.notFound(e)) {
                LOG.atWarn()
                        .addKeyValue("process", j.getProcessId())
                        .addKeyValue("migration", j.getMigrationId())
                        .log("node {} could not abort the migration: {}", node.getName(), e.getStatus());
            }
            return false;
        }
    }

    /** Whether the source is still in the pre-copy of a migration that has no result to abort yet. */
    private boolean preCopying(NodeRecord source, MigrationJournal j) {
        try {
            return agents.blocking(source, j.getFromEpoch())
                            .get(ProcessRef.newBuilder()
                                    .setProcessId(j.getProcessId())
                                    .build())
                            .getState()
                    == ProcessState.PROCESS_STATE_MIGRATING;
        } catch (StatusRuntimeException e) {
            return false;
        }
    }

    private static MigrationRef ref(MigrationJournal j) {
        return MigrationRef.newBuilder()
                .setMigrationId(j.getMigrationId())
                .setProcessId(j.getProcessId())
                .build();
    }
}
