package pm.coordinator.recovery;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.coordinator.ClusterException;
import pm.coordinator.CoordinatorMetrics;
import pm.coordinator.agent.AgentCall;
import pm.coordinator.agent.AgentClients;
import pm.coordinator.events.EventHub;
import pm.coordinator.migration.RetainedCopies;
import pm.coordinator.placement.PlacementRequest;
import pm.coordinator.placement.Placer;
import pm.coordinator.process.DurableCheckpoints;
import pm.coordinator.process.ModuleCache;
import pm.coordinator.zk.Membership;
import pm.coordinator.zk.OwnershipCache;
import pm.coordinator.zk.OwnershipStore;
import pm.coordinator.zk.RecordStates;
import pm.coordinator.zk.Versioned;
import pm.v1.AdoptRequest;
import pm.v1.ClusterEvent;
import pm.v1.ModuleRef;
import pm.v1.NodeRecord;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessState;
import pm.v1.SpawnRequest;

/**
 * Brings back the processes of nodes that are gone. A node counts as lost once its ephemeral node
 * record has been absent for the grace period (as seen by this coordinator: a new leader starts the
 * clock when it is elected). Each process it owned then moves, under the next epoch, to a live node
 * holding its last durable checkpoint, which adopts the replica and runs from it (the work since
 * that checkpoint is redone) — or, within a while after a migration, to the migration's source, which
 * kept the process as it handed it over (only the lost target's work since then is redone); a
 * process that never had a durable checkpoint starts again from its spec on a node placement picks. The record moves first, so the lost node, if it comes back, finds
 * the process no longer its own and drops its copy. A suspended process without a durable
 * checkpoint cannot come back until its node does. A process that ended is never run again: the node
 * holding the copy of its files and output takes it over, so they can still be read. A process whose
 * live owner holds no copy of it ({@link UnhostedProcesses}) is brought back the same way.
 *
 * <p>{@link #tick} runs on the leader thread and hands recoveries to {@code workers}, at most
 * {@code maxInFlight} at a time and one at a time per process; membership callbacks update
 * {@code awaySince} from Curator's thread.
 */
public final class NodeRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRecovery.class);

    private final OwnershipStore store;
    private final OwnershipCache records;
    private final Membership membership;
    private final Placer placer;
    private final AgentClients agents;
    private final ModuleCache modules;
    private final EventHub events;
    private final CoordinatorMetrics metrics;
    private final ExecutorService workers;
    private final Semaphore slots;
    private final Duration grace;
    private final Clock clock;
    private final Map<String, Long> awaySince = new ConcurrentHashMap<>();
    private final Set<String> announced = ConcurrentHashMap.newKeySet();
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final UnhostedProcesses unhosted;
    private final Duration scanEvery;
    private final java.util.concurrent.atomic.AtomicBoolean scanning = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile long scannedMillis;

    public NodeRecovery(
            OwnershipStore store,
            OwnershipCache records,
            Membership membership,
            Placer placer,
            AgentClients agents,
            ModuleCache modules,
            EventHub events,
            CoordinatorMetrics metrics,
            ExecutorService workers,
            int maxInFlight,
            Duration grace,
            UnhostedProcesses unhosted,
            Duration scanEvery,
            Clock clock) {
        this.store = store;
        this.records = records;
        this.membership = membership;
        this.placer = placer;
        this.agents = agents;
        this.modules = modules;
        this.events = events;
        this.metrics = metrics;
        this.workers = workers;
        this.slots = new Semaphore(maxInFlight);
        this.grace = grace;
        this.unhosted = unhosted;
        this.scanEvery = scanEvery;
        this.clock = clock;
        this.scannedMillis = clock.millis();
    }

    /** A node's record went away: its grace period starts now. */
    public void left(String node) {
        awaySince.putIfAbsent(node, clock.millis());
    }

    /** A node (re)joined: whatever it still owns is its own again. */
    public void joined(String node) {
        awaySince.remove(node);
        announced.remove(node);
    }

    /** Starts recovering the processes of nodes away longer than the grace period. */
    public void tick() {
        long now = clock.millis();
        for (Versioned<OwnershipRecord> v : records.all()) {
            OwnershipRecord r = v.value();
            String owner = r.getOwner();
            if (membership.node(owner).isPresent()
                    || !r.getMigrationId().isEmpty()
                    || inFlight.contains(r.getProcessId())
                    || (RecordStates.ended(r) && endedCopyHolder(r).isEmpty())) {
                continue; // live owner, a migration the migration recovery settles first, or nothing left to bring back
            }
            long since = awaySince.computeIfAbsent(owner, n -> now);
            if (now - since < grace.toMillis()) {
                continue;
            }
            if (announced.add(owner)) {
                events.publish(
                        ClusterEvent.Kind.KIND_NODE_LOST,
                        "",
                        owner,
                        0,
                        "node " + owner + " away for " + (now - since) + " ms: recovering its processes");
            }
            if (!dispatch(r.getProcessId(), OptionalInt.empty())) {
                return;
            }
        }
        if (now - scannedMillis >= scanEvery.toMillis() && scanning.compareAndSet(false, true)) {
            scannedMillis = now;
            try {
                workers.execute(() -> {
                    try {
                        unhosted.scan().forEach((id, version) -> {
                            if (!inFlight.contains(id)) {
                                dispatch(id, OptionalInt.of(version));
                            }
                        });
                    } finally {
                        scanning.set(false);
                    }
                });
            } catch (RuntimeException e) {
                scanning.set(false);
                throw e;
            }
        }
    }

    /** Hands the recovery of {@code id} to a worker; false if all slots are taken. */
    private boolean dispatch(String id, OptionalInt unhostedAtVersion) {
        if (!slots.tryAcquire()) {
            return false;
        }
        inFlight.add(id);
        try {
            workers.execute(() -> {
                try {
                    recover(id, unhostedAtVersion);
                } finally {
                    inFlight.remove(id);
                    slots.release();
                }
            });
        } catch (RuntimeException e) {
            inFlight.remove(id);
            slots.release();
            throw e;
        }
        return true;
    }

    /**
     * Recovers {@code id} if its owner is lost or, given {@code unhostedAtVersion}, if its record is
     * still the one found naming a live owner that holds no copy of it.
     */
    private void recover(String id, OptionalInt unhostedAtVersion) {
        Optional<Versioned<OwnershipRecord>> read = store.find(id);
        if (read.isEmpty()) {
            return;
        }
        OwnershipRecord r = read.get().value();
        if (unhostedAtVersion.isPresent()
                ? read.get().version() != unhostedAtVersion.getAsInt()
                : membership.node(r.getOwner()).isPresent()
                        || !r.getMigrationId().isEmpty()) {
            return; // it came back, it changed since it was found unhosted, or something else moves it
        }
        String why = unhostedAtVersion.isPresent()
                ? "node " + r.getOwner() + " holds no copy of it"
                : "node " + r.getOwner() + " is lost";
        if (unhostedAtVersion.isPresent()) {
            LOG.warn("process " + id + " at epoch " + r.getEpoch() + ": " + why + "; recovering it");
        }
        try {
            if (RecordStates.ended(r)) {
                Optional<NodeRecord> holder = endedCopyHolder(r);
                if (holder.isPresent()) {
                    adoptEnded(r, read.get().version(), holder.get(), why);
                }
                return; // never run again; without a copy elsewhere its files and output wait for their node
            }
            if (RetainedCopies.named(r)) {
                Optional<NodeRecord> keeper = membership.node(r.getRetainedNode());
                if (keeper.isPresent()) {
                    adoptRetained(r, read.get().version(), keeper.get(), why);
                    return;
                }
                if (!allLost(List.of(r.getRetainedNode()))) {
                    return; // the migration's source is away but within its grace: wait rather than redo work
                }
            }
            if (DurableCheckpoints.durable(r)) {
                Optional<NodeRecord> holder = holder(r);
                if (holder.isPresent()) {
                    adopt(r, read.get().version(), holder.get(), why);
                    return;
                }
                if (!allLost(r.getCheckpointNodesList().stream()
                        .filter(n -> !n.equals(r.getOwner()))
                        .toList())) {
                    return; // a node holding the checkpoint is away but within its grace: wait rather than redo
                    // everything
                }
            }
            if (r.getState() == ProcessState.PROCESS_STATE_SUSPENDED && !DurableCheckpoints.durable(r)) {
                return; // its only image was on its owner
            }
            restart(r, read.get().version(), why);
        } catch (RuntimeException e) {
            metrics.recovered("failed");
            events.publish(
                    ClusterEvent.Kind.KIND_RECOVERY_FAILED,
                    id,
                    r.getOwner(),
                    r.getEpoch(),
                    "recovery of " + id + " failed: " + e.getMessage() + "; trying again");
            LOG.info("recovery of " + id + " failed", e);
        }
    }

    /** A live node holding the ended process's files and output, other than its owner. */
    private Optional<NodeRecord> endedCopyHolder(OwnershipRecord r) {
        return r.getEndedCopyNodesList().stream()
                .filter(n -> !n.equals(r.getOwner()))
                .map(membership::node)
                .flatMap(Optional::stream)
                .findFirst();
    }

    /** An ended process's copy becomes its holder's: its files and output can be read again; it does not run. */
    private void adoptEnded(OwnershipRecord r, int version, NodeRecord to, String why) {
        OwnershipRecord moved = handOver(
                        r,
                        version,
                        to,
                        b -> RetainedCopies.clear(b).clearEndedCopyNodes().addEndedCopyNodes(to.getName()),
                        AdoptRequest.newBuilder()
                                .setProcessId(r.getProcessId())
                                .setState(r.getState())
                                .build())
                .value();
        metrics.recovered("ended");
        events.publish(
                ClusterEvent.Kind.KIND_RECOVERED,
                r.getProcessId(),
                to.getName(),
                moved.getEpoch(),
                "the files and output of ended process " + r.getProcessId() + " are served by " + to.getName()
                        + " now; " + why);
    }

    /** Moves the record to {@code to} under the next epoch, then has it adopt what it holds; undone if it cannot. */
    private Versioned<OwnershipRecord> handOver(
            OwnershipRecord r,
            int version,
            NodeRecord to,
            java.util.function.UnaryOperator<OwnershipRecord.Builder> holders,
            AdoptRequest adopt) {
        OwnershipRecord moved = holders.apply(r.toBuilder()
                        .setOwner(to.getName())
                        .setEpoch(r.getEpoch() + 1)
                        .setUpdatedMillis(clock.millis()))
                .build();
        int written = store.update(moved, version);
        try {
            AgentCall.on(
                    to.getName(), () -> agents.blocking(to, moved.getEpoch()).adopt(adopt));
        } catch (StatusRuntimeException e) {
            // A source that restarted since the migration holds no copy any more: stop naming it.
            undo(
                    !adopt.getRetainedMigrationId().isEmpty() && AgentCall.notFound(e)
                            ? RetainedCopies.clear(r.toBuilder()).build()
                            : r,
                    moved,
                    written);
            throw e;
        } catch (RuntimeException e) {
            undo(r, moved, written);
            throw e;
        }
        return new Versioned<>(moved, written);
    }

    /**
     * The source of the process's last migration kept it as it handed it over: it runs from that state
     * there again, so only the work the lost target did since the migration is redone.
     */
    private void adoptRetained(OwnershipRecord r, int version, NodeRecord to, String why) {
        // Still named while it is adopted: the node lets a copy go as soon as the record stops naming it.
        Versioned<OwnershipRecord> adopted = handOver(
                r,
                version,
                to,
                b -> b,
                AdoptRequest.newBuilder()
                        .setProcessId(r.getProcessId())
                        .setRetainedMigrationId(r.getRetainedMigrationId())
                        .setState(r.getState())
                        .build());
        OwnershipRecord moved = adopted.value();
        try {
            store.update(
                    RetainedCopies.clear(moved.toBuilder())
                            .setUpdatedMillis(clock.millis())
                            .build(),
                    adopted.version());
        } catch (ClusterException e) {
            // changed meanwhile; a name of the owner itself is never used, and lapses with RetainedCopies.KEEP
            LOG.debug("cannot clear the adopted copy's name from " + r.getProcessId(), e);
        }
        metrics.recovered("retained");
        events.publish(
                ClusterEvent.Kind.KIND_RECOVERED,
                r.getProcessId(),
                to.getName(),
                moved.getEpoch(),
                "recovered on " + to.getName() + " from the copy it kept when migration " + r.getRetainedMigrationId()
                        + " handed the process over " + (clock.millis() - r.getRetainedMillis()) + " ms before; "
                        + why);
    }

    private boolean allLost(java.util.List<String> nodes) {
        long now = clock.millis();
        return nodes.stream()
                .allMatch(
                        n -> membership.node(n).isEmpty() && now - awaySince.getOrDefault(n, now) >= grace.toMillis());
    }

    /** The live, not draining node holding the durable checkpoint with the most room. */
    private Optional<NodeRecord> holder(OwnershipRecord r) {
        return r.getCheckpointNodesList().stream()
                .filter(n -> !n.equals(r.getOwner()) && !membership.isDraining(n))
                .map(membership::node)
                .flatMap(Optional::stream)
                .min(Comparator.comparingDouble(
                        n -> n.getCapacityBytes() == 0 ? 1 : (double) n.getMemoryBytes() / n.getCapacityBytes()));
    }

    private void adopt(OwnershipRecord r, int version, NodeRecord to, String why) {
        OwnershipRecord moved = handOver(
                        r,
                        version,
                        to,
                        b -> RetainedCopies.clear(b).clearCheckpointNodes().addCheckpointNodes(to.getName()),
                        AdoptRequest.newBuilder()
                                .setProcessId(r.getProcessId())
                                .setCheckpointId(r.getLastCheckpointId())
                                .setState(r.getState())
                                .build())
                .value();
        metrics.recovered("checkpoint");
        long age = clock.millis() - r.getCheckpointMillis();
        events.publish(
                ClusterEvent.Kind.KIND_RECOVERED,
                r.getProcessId(),
                to.getName(),
                moved.getEpoch(),
                "recovered on " + to.getName() + " from checkpoint " + r.getLastCheckpointId() + " taken " + age
                        + " ms before; " + why);
    }

    private void restart(OwnershipRecord r, int version, String why) {
        NodeRecord to = placer.place(new PlacementRequest(
                PlacementRequest.memoryOf(r.getSpec()), r.getPlacement().getNodeLabelsMap(), "", Set.of(r.getOwner())));
        ByteString module = module(r);
        OwnershipRecord moved = RetainedCopies.clear(r.toBuilder())
                .setOwner(to.getName())
                .setEpoch(r.getEpoch() + 1)
                .setState(ProcessState.PROCESS_STATE_RUNNING)
                .setLastCheckpointId("")
                .clearCheckpointNodes()
                .setCheckpointMillis(0)
                .setUpdatedMillis(clock.millis())
                .build();
        int written = store.update(moved, version);
        try {
            AgentCall.on(
                    to.getName(),
                    () -> agents.blocking(to, moved.getEpoch())
                            .spawn(SpawnRequest.newBuilder()
                                    .setProcessId(r.getProcessId())
                                    .setSpec(r.getSpec().toBuilder().setModule(module))
                                    .build()));
        } catch (RuntimeException e) {
            undo(r, moved, written);
            throw e;
        }
        metrics.recovered("restart");
        events.publish(
                ClusterEvent.Kind.KIND_RECOVERED,
                r.getProcessId(),
                to.getName(),
                moved.getEpoch(),
                "restarted on " + to.getName() + " from its spec (no durable checkpoint); " + why);
    }

    /** The module from this coordinator's cache, else from any live node that stores it. */
    private ByteString module(OwnershipRecord r) {
        Optional<ByteString> cached = modules.get(r.getModuleSha256());
        if (cached.isPresent()) {
            return cached.get();
        }
        for (NodeRecord n : membership.live()) {
            try {
                ByteString m = agents.blocking(n)
                        .getModule(ModuleRef.newBuilder()
                                .setSha256(r.getModuleSha256())
                                .build())
                        .getModule();
                modules.put(m);
                return m;
            } catch (StatusRuntimeException e) {
                // not there; try the next node
            }
        }
        throw new ClusterException(
                ClusterException.Reason.UNAVAILABLE, "no live node stores the module of " + r.getProcessId());
    }

    /** The adoption failed: the record goes back to the lost owner, under a newer epoch still, for the next tick to retry. */
    private void undo(OwnershipRecord before, OwnershipRecord moved, int version) {
        try {
            store.update(
                    before.toBuilder()
                            .setEpoch(moved.getEpoch() + 1)
                            .setUpdatedMillis(clock.millis())
                            .build(),
                    version);
        } catch (RuntimeException e) {
            LOG.warn("cannot put the record of " + before.getProcessId() + " back after a failed recovery", e);
        }
    }
}
