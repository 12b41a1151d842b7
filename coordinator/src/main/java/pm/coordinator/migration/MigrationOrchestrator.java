package pm.coordinator.migration;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import pm.common.cluster.MigrationDecision;
import pm.common.tracing.PhaseTrace;
import pm.common.tracing.SpanNames;
import pm.coordinator.ClusterException;
import pm.coordinator.CoordinatorMetrics;
import pm.coordinator.agent.AgentCall;
import pm.coordinator.agent.AgentClients;
import pm.coordinator.events.EventHub;
import pm.coordinator.placement.PlacementRequest;
import pm.coordinator.placement.Placer;
import pm.coordinator.zk.CommitOutcomeUnknownException;
import pm.coordinator.zk.Membership;
import pm.coordinator.zk.OwnershipStore;
import pm.coordinator.zk.Versioned;
import pm.v1.ClusterEvent;
import pm.v1.MigrateRequest;
import pm.v1.MigrationJournal;
import pm.v1.MigrationReport;
import pm.v1.MigrationResult;
import pm.v1.NodeRecord;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessState;

/**
 * Drives one live migration, journalling each step so that a new leader can finish or roll back:
 * STARTED (record names the migration) → the source pre-copies and the target prepares → PREPARED →
 * one transaction moves the record to the target at epoch + 1 and marks the journal COMMITTED (the
 * commit point) → both agents hear of it → the journal goes. Any failure before the commit point
 * rolls back: the process keeps running on the source. Runs on the caller's thread, as does its
 * trace ({@link SpanNames#MIGRATION}, one child per step); the set of migrations in flight here is
 * shared with {@link MigrationRecovery}, which must leave them alone.
 */
public final class MigrationOrchestrator {
    /** Tries at starting a migration while other changes (checkpoints named) race it. */
    private static final int START_ATTEMPTS = 5;

    private final OwnershipStore store;
    private final Membership membership;
    private final Placer placer;
    private final AgentClients agents;
    private final MigrationFinisher finisher;
    private final EventHub events;
    private final CoordinatorMetrics metrics;
    private final MigrationObserver observer;
    private final BooleanSupplier leading;
    private final String coordinator;
    private final Clock clock;
    private final Tracer tracer;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

    public MigrationOrchestrator(
            OwnershipStore store,
            Membership membership,
            Placer placer,
            AgentClients agents,
            MigrationFinisher finisher,
            EventHub events,
            CoordinatorMetrics metrics,
            MigrationObserver observer,
            BooleanSupplier leading,
            String coordinator,
            Clock clock,
            Tracer tracer) {
        this.tracer = tracer;
        this.store = store;
        this.membership = membership;
        this.placer = placer;
        this.agents = agents;
        this.finisher = finisher;
        this.events = events;
        this.metrics = metrics;
        this.observer = observer;
        this.leading = leading;
        this.coordinator = coordinator;
        this.clock = clock;
    }

    /** Whether this coordinator is driving migration {@code id} right now. */
    public boolean isInFlight(String migrationId) {
        return inFlight.contains(migrationId);
    }

    /** Moves {@code processId} to {@code targetNode} (empty: placement picks a node other than the owner). */
    public MigrationReport migrate(String processId, String targetNode, long downtimeBudgetMicros) {
        return migrate(processId, targetNode, downtimeBudgetMicros, "");
    }

    /**
     * As {@link #migrate(String, String, long)}, for a call its caller named {@code requestId}: the
     * journal keeps it, so whoever settles the migration records its outcome under it; a resend that
     * finds its own migration still being settled is told to try again (UNAVAILABLE), not that the
     * process is migrating already.
     */
    public MigrationReport migrate(String processId, String targetNode, long downtimeBudgetMicros, String requestId) {
        long t0 = System.nanoTime();
        // The root span runs on the report's own stopwatch: its duration is the report's total.
        PhaseTrace trace =
                PhaseTrace.timed(tracer, SpanNames.MIGRATION, Attributes.of(SpanNames.PROCESS_ID, processId), t0);
        try {
            Timed timed = migrate(processId, targetNode, downtimeBudgetMicros, requestId, t0, trace);
            trace.close(timed.endNanos());
            return timed.report();
        } catch (RuntimeException e) {
            trace.failed(e);
            trace.close();
            throw e;
        }
    }

    /** A report, and when (System.nanoTime()) its total was read. */
    private record Timed(MigrationReport report, long endNanos) {}

    private Timed migrate(
            String processId,
            String targetNode,
            long downtimeBudgetMicros,
            String requestId,
            long t0,
            PhaseTrace trace) {
        trace.phase(SpanNames.MIGRATION_START);
        Versioned<OwnershipRecord> read = store.get(processId);
        OwnershipRecord record = read.value();
        String owner = record.getOwner();
        if (!record.getMigrationId().isEmpty()
                && !requestId.isEmpty()
                && store.journal(record.getMigrationId())
                        .map(j -> j.getRequestId().equals(requestId))
                        .orElse(false)) {
            throw new ClusterException(
                    ClusterException.Reason.UNAVAILABLE,
                    "migration " + record.getMigrationId() + " of this request is being settled; try again");
        }
        if (!record.getMigrationId().isEmpty()) {
            throw new ClusterException(
                    ClusterException.Reason.WRONG_STATE,
                    "process " + processId + " is migrating already (migration " + record.getMigrationId() + ")");
        }
        if (record.getState() != ProcessState.PROCESS_STATE_RUNNING
                && record.getState() != ProcessState.PROCESS_STATE_FROZEN) {
            throw new ClusterException(
                    ClusterException.Reason.WRONG_STATE,
                    "process " + processId + " is " + stateName(record.getState())
                            + "; only a running or frozen process migrates");
        }
        if (targetNode.equals(owner)) {
            throw new ClusterException(
                    ClusterException.Reason.WRONG_STATE, "process " + processId + " already runs on node " + owner);
        }
        NodeRecord target = targetNode.isEmpty()
                ? placer.place(new PlacementRequest(
                        PlacementRequest.memoryOf(record.getSpec()),
                        record.getPlacement().getNodeLabelsMap(),
                        "",
                        Set.of(owner)))
                : membership.require(targetNode);
        if (membership.isDraining(target.getName())) {
            throw new ClusterException(
                    ClusterException.Reason.WRONG_STATE, "node " + target.getName() + " is draining");
        }
        NodeRecord source = membership
                .node(owner)
                .orElseThrow(() -> new ClusterException(
                        ClusterException.Reason.UNAVAILABLE,
                        "node " + owner + " (the owner of " + processId + ") is down"));

        long epoch = record.getEpoch();
        MigrationJournal journal = MigrationJournal.newBuilder()
                .setMigrationId(UUID.randomUUID().toString())
                .setProcessId(processId)
                .setSource(owner)
                .setTarget(target.getName())
                .setFromEpoch(epoch)
                .setToEpoch(epoch + 1)
                .setPhase(MigrationJournal.Phase.PHASE_STARTED)
                .setStartedMillis(clock.millis())
                .setCoordinator(coordinator)
                .setRequestId(requestId)
                .build();
        trace.span()
                .setAllAttributes(Attributes.builder()
                        .put(SpanNames.MIGRATION_ID, journal.getMigrationId())
                        .put(SpanNames.EPOCH, epoch)
                        .put(SpanNames.SOURCE_NODE, owner)
                        .put(SpanNames.TARGET_NODE, target.getName())
                        .build());
        inFlight.add(journal.getMigrationId());
        try {
            Versioned<OwnershipRecord> started = start(read, journal);
            record = started.value();
            int version = started.version();
            events.publish(
                    ClusterEvent.Kind.KIND_MIGRATION_STARTED,
                    processId,
                    target.getName(),
                    epoch,
                    "migration " + journal.getMigrationId() + " from " + owner + " to " + target.getName());
            observer.reached(journal);
            Prepared done = prepare(record, version, journal, source, target, downtimeBudgetMicros, trace);
            MigrationResult transfer = done.transfer();
            journal = journal.toBuilder()
                    .setPhase(MigrationJournal.Phase.PHASE_COMMITTED)
                    .build();
            observer.reached(journal);
            trace.phase(SpanNames.MIGRATION_FINISH);
            MigrationFinisher.Told heard = leading.getAsBoolean()
                    ? finisher.tell(journal)
                    : new MigrationFinisher.Told(false, System.nanoTime());
            boolean told = heard.targetRuns();
            // Frozen from the source's freeze until the target heard the commit (not until the source let go).
            long downtimeMicros = (heard.targetAnsweredNanos() - done.frozenSinceNanos()) / 1000;
            if (told) {
                store.deleteJournal(journal.getMigrationId());
            } // else the journal stays COMMITTED and MigrationRecovery (here or on a new leader) tells the agents later
            trace.endPhase();
            long end = System.nanoTime();
            Duration took = Duration.ofNanos(end - t0);
            metrics.migrated("committed", took);
            events.publish(
                    ClusterEvent.Kind.KIND_MIGRATION_COMMITTED,
                    processId,
                    target.getName(),
                    epoch + 1,
                    "migration " + journal.getMigrationId() + " from " + owner + " to " + target.getName());
            return new Timed(
                    MigrationReport.newBuilder()
                            .setMigrationId(journal.getMigrationId())
                            .setProcessId(processId)
                            .setSourceNode(owner)
                            .setTargetNode(target.getName())
                            .setEpoch(epoch + 1)
                            .setTransfer(transfer)
                            .setTotalMicros(took.toNanos() / 1000)
                            .setDowntimeMicros(downtimeMicros)
                            .build(),
                    end);
        } finally {
            inFlight.remove(journal.getMigrationId());
        }
    }

    /**
     * Marks the record with the migration and writes its journal, in one transaction checked against
     * the version read. A record changed meanwhile in a way that leaves it migrating from the same
     * owner and epoch (the checkpoint loop named a new checkpoint, say) is read again and the start
     * tried again from it; any other change refuses the migration. Returns the record as marked.
     */
    private Versioned<OwnershipRecord> start(Versioned<OwnershipRecord> read, MigrationJournal journal) {
        for (int attempt = 1; ; attempt++) {
            OwnershipRecord marked = read.value().toBuilder()
                    .setMigrationId(journal.getMigrationId())
                    .build();
            try {
                return new Versioned<>(marked, store.startMigration(marked, read.version(), journal));
            } catch (ClusterException e) {
                if (e.reason() != ClusterException.Reason.CONFLICT || attempt == START_ATTEMPTS) {
                    throw e;
                }
            }
            read = store.get(journal.getProcessId());
            OwnershipRecord now = read.value();
            if (!now.getMigrationId().isEmpty()
                    || !now.getOwner().equals(journal.getSource())
                    || now.getEpoch() != journal.getFromEpoch()
                    || now.getState() != ProcessState.PROCESS_STATE_RUNNING
                            && now.getState() != ProcessState.PROCESS_STATE_FROZEN) {
                throw new ClusterException(
                        ClusterException.Reason.CONFLICT,
                        "process " + journal.getProcessId()
                                + " changed while its migration was starting (now " + stateName(now.getState()) + " on "
                                + now.getOwner()
                                + " at epoch " + now.getEpoch()
                                + (now.getMigrationId().isEmpty() ? "" : ", migrating") + ")");
            }
        }
    }

    /** What the agents did, and since when (this JVM's clock) the process has been frozen on the source. */
    private record Prepared(MigrationResult transfer, long frozenSinceNanos) {}

    /**
     * Pre-copy, PREPARED, and the commit transaction. On any failure the record decides
     * ({@link MigrationFinisher#settle}): a commit that landed though its reply was lost goes on as
     * committed; anything else is rolled back. If even the record cannot be read, the journal stays
     * for the migration recovery (here, or on a new leader), which decides the same way.
     */
    private Prepared prepare(
            OwnershipRecord record,
            int version,
            MigrationJournal journal,
            NodeRecord source,
            NodeRecord target,
            long downtimeBudgetMicros,
            PhaseTrace trace) {
        MigrationResult transfer = null;
        long frozenSince = 0;
        try {
            trace.phase(SpanNames.MIGRATION_TRANSFER);
            transfer = AgentCall.on(
                    source.getName(),
                    () -> agents.blocking(source, journal.getFromEpoch())
                            .migrateOut(MigrateRequest.newBuilder()
                                    .setProcessId(journal.getProcessId())
                                    .setTarget(target.getAddress())
                                    .setCommit(false)
                                    .setDowntimeBudgetMicros(downtimeBudgetMicros)
                                    .setEpoch(journal.getToEpoch())
                                    .setMigrationId(journal.getMigrationId())
                                    .build()));
            frozenSince = System.nanoTime() - transfer.getDowntimeMicros() * 1000;
            // PREPARED is not written to ZooKeeper: recovery rolls it back exactly like STARTED, and
            // the write would sit inside the downtime.
            MigrationJournal prepared = journal.toBuilder()
                    .setPhase(MigrationJournal.Phase.PHASE_PREPARED)
                    .build();
            observer.reached(prepared);
            if (!leading.getAsBoolean()) {
                throw new ClusterException(
                        ClusterException.Reason.UNAVAILABLE, "this coordinator stopped leading mid-migration");
            }
            trace.phase(SpanNames.MIGRATION_COMMIT);
            // The source forgets its checkpoints once it hands the process over: only other holders still count.
            // It keeps the process as it handed it over instead, until the target has a durable checkpoint.
            OwnershipRecord.Builder committed = record.toBuilder()
                    .setOwner(target.getName())
                    .setEpoch(journal.getToEpoch())
                    .setMigrationId("")
                    .clearCheckpointNodes()
                    .addAllCheckpointNodes(record.getCheckpointNodesList().stream()
                            .filter(n -> !n.equals(source.getName()))
                            .toList())
                    .setUpdatedMillis(clock.millis());
            RetainedCopies.retainOrClear(committed, transfer.getRetainsCopy(), journal, clock.millis());
            store.commitMigration(
                    committed.build(),
                    version,
                    prepared.toBuilder()
                            .setPhase(MigrationJournal.Phase.PHASE_COMMITTED)
                            .build());
            return new Prepared(transfer, frozenSince);
        } catch (RuntimeException e) {
            MigrationFinisher.Settled settled;
            try {
                settled = transfer != null && e instanceof CommitOutcomeUnknownException
                        ? committedOrUnknown(journal, e)
                        : finisher.settle(journal);
            } catch (RuntimeException unsettled) {
                e.addSuppressed(unsettled); // the migration recovery settles it from the journal
                throw e;
            }
            if (transfer != null
                    && (settled == MigrationFinisher.Settled.FINISHED
                            || settled == MigrationFinisher.Settled.PENDING)) {
                return new Prepared(transfer, frozenSince); // the commit landed; its reply did not
            }
            metrics.migrated("aborted", Duration.ZERO);
            events.publish(
                    ClusterEvent.Kind.KIND_MIGRATION_ABORTED,
                    journal.getProcessId(),
                    source.getName(),
                    journal.getFromEpoch(),
                    "migration " + journal.getMigrationId() + " aborted: " + e.getMessage());
            throw e;
        }
    }

    /**
     * After a commit whose outcome ZooKeeper could not tell: committed if the record, read again now,
     * says so (the caller finishes it); otherwise {@code e} again — no roll back while this coordinator
     * may still have the commit on its way: the recovery settles it once this migration is no longer in
     * flight.
     */
    private MigrationFinisher.Settled committedOrUnknown(MigrationJournal journal, RuntimeException e) {
        var now = store.find(journal.getProcessId()).map(Versioned::value);
        if (MigrationDecision.decide(journal.getMigrationId(), journal.getTarget(), journal.getToEpoch(), now)
                == MigrationDecision.COMMITTED) {
            return MigrationFinisher.Settled.PENDING;
        }
        throw e;
    }

    private static String stateName(ProcessState s) {
        return s.name().substring("PROCESS_STATE_".length()).toLowerCase();
    }
}
