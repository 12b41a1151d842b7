package pm.coordinator.process;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import pm.common.tracing.SpanNames;
import pm.common.tracing.Spans;
import pm.coordinator.ClusterException;
import pm.coordinator.CoordinatorMetrics;
import pm.coordinator.agent.AgentCall;
import pm.coordinator.agent.AgentClients;
import pm.coordinator.events.EventHub;
import pm.coordinator.migration.RetainedCopies;
import pm.coordinator.placement.PlacementRequest;
import pm.coordinator.placement.Placer;
import pm.coordinator.zk.Membership;
import pm.coordinator.zk.OwnershipStore;
import pm.coordinator.zk.Versioned;
import pm.v1.CheckpointInfo;
import pm.v1.CheckpointRequest;
import pm.v1.ClusterEvent;
import pm.v1.ClusterProcess;
import pm.v1.ClusterResumeRequest;
import pm.v1.ClusterSpawnRequest;
import pm.v1.NodeRecord;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessInfo;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;
import pm.v1.ResumeRequest;
import pm.v1.SpawnRequest;

/**
 * Spawn, freeze, thaw, checkpoint, suspend, resume and kill: each changes the process on its owner
 * (with the record's epoch) and then the ownership record (checking the version it read). A spawn
 * writes the record first, so an agent that checks ownership finds it; if the agent refuses, the
 * record goes again. Stateless apart from the module cache; runs on the caller's thread.
 */
public final class ProcessLifecycle {
    private static final Pattern PROCESS_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final byte[] WASM_MAGIC = {0, 'a', 's', 'm'};
    /** Inline inputs a spec may carry (they live in its ZooKeeper record). */
    static final int MAX_INLINE_INPUT_BYTES = 256 << 10;
    /** Nodes a spawn tries before it reports the last one's failure (a node that does not answer is skipped). */
    private static final int MAX_SPAWN_ATTEMPTS = 3;

    private final OwnershipStore store;
    private final Membership membership;
    private final Owners owners;
    private final Placer placer;
    private final AgentClients agents;
    private final ImageTransfer images;
    private final ModuleCache modules;
    private final EventHub events;
    private final CoordinatorMetrics metrics;
    private final DurableCheckpoints checkpoints;
    private final Clock clock;
    /** Spawns under way on this coordinator, by process id (see {@link #spawn}). */
    /** Records each spawn ({@link SpanNames#SPAWN}) on the caller's thread. */
    private final io.opentelemetry.api.trace.Tracer tracer;

    private final java.util.Map<String, InFlightSpawn> spawning = new java.util.concurrent.ConcurrentHashMap<>();

    public ProcessLifecycle(
            OwnershipStore store,
            Membership membership,
            Placer placer,
            AgentClients agents,
            ImageTransfer images,
            ModuleCache modules,
            EventHub events,
            CoordinatorMetrics metrics,
            DurableCheckpoints checkpoints,
            Clock clock,
            io.opentelemetry.api.trace.Tracer tracer) {
        this.tracer = tracer;
        this.store = store;
        this.membership = membership;
        this.owners = new Owners(membership);
        this.placer = placer;
        this.agents = agents;
        this.images = images;
        this.modules = modules;
        this.events = events;
        this.metrics = metrics;
        this.checkpoints = checkpoints;
        this.clock = clock;
    }

    /** A process id from a request, or a fresh one; INVALID_ARGUMENT unless it can name a znode. */
    static String processId(String requested) {
        if (requested.isEmpty()) {
            return UUID.randomUUID().toString();
        }
        if (!PROCESS_ID.matcher(requested).matches()) {
            throw new ClusterException(
                    ClusterException.Reason.BAD_REQUEST,
                    "bad process id '" + requested + "': letters, digits, '.', '_' and '-', at most 128");
        }
        return requested;
    }

    static void requireWasm(ByteString module) {
        if (module.isEmpty()) {
            throw new ClusterException(ClusterException.Reason.BAD_REQUEST, "the spec carries no module bytes");
        }
        if (module.size() < 8 || !module.substring(0, 4).equals(ByteString.copyFrom(WASM_MAGIC))) {
            throw new ClusterException(
                    ClusterException.Reason.BAD_REQUEST, "the module is not WebAssembly (no \\0asm header)");
        }
    }

    /**
     * Inputs carried in the spec itself go into the ownership record, so ZooKeeper (whose nodes hold
     * about 1 MB) must never see large ones: anything bigger travels by PutBlob and is named by hash.
     */
    static void requireSmallInline(ProcessSpec spec) {
        long inline = spec.getStdin().size();
        for (pm.v1.FileEntry f : spec.getFilesList()) {
            inline += f.getContents().size();
            if (!f.getSha256().isEmpty()
                    && (f.getSha256().size() != 32 || !f.getContents().isEmpty())) {
                throw new ClusterException(
                        ClusterException.Reason.BAD_REQUEST,
                        "file " + f.getPath() + ": an input named by sha256 has a 32-byte hash and no inline contents");
            }
        }
        if (inline > MAX_INLINE_INPUT_BYTES) {
            throw new ClusterException(
                    ClusterException.Reason.BAD_REQUEST,
                    "the spec carries " + inline
                            + " bytes of files and stdin inline; at most " + MAX_INLINE_INPUT_BYTES
                            + " may be, larger inputs go by PutBlob and are named by their SHA-256 (the SDK and pmctl do this)");
        }
    }

    /**
     * Spawns {@code request}'s process. Idempotent for a given id: a request equal to one in flight here
     * gets that one's outcome, and one equal to the spawn a record already holds (same spec, module and
     * placement) gets that process, so a caller that retries after losing the reply (the SDK names every
     * process it spawns) starts it once. A different request for an existing id is refused.
     */
    public ClusterProcess spawn(ClusterSpawnRequest request) {
        String id = processId(request.getProcessId());
        InFlightSpawn mine = new InFlightSpawn(request, new java.util.concurrent.CompletableFuture<>());
        InFlightSpawn earlier = spawning.putIfAbsent(id, mine);
        if (earlier != null) {
            if (!earlier.request().equals(request)) {
                throw alreadyExists(id);
            }
            try {
                return earlier.outcome().join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
        try {
            ClusterProcess p = Spans.call(
                    tracer,
                    SpanNames.SPAWN,
                    Attributes.of(SpanNames.PROCESS_ID, id, SpanNames.EPOCH, 1L),
                    () -> spawnNew(id, request));
            mine.outcome().complete(p);
            return p;
        } catch (RuntimeException e) {
            mine.outcome().completeExceptionally(e);
            throw e;
        } finally {
            spawning.remove(id, mine);
        }
    }

    private record InFlightSpawn(
            ClusterSpawnRequest request, java.util.concurrent.CompletableFuture<ClusterProcess> outcome) {}

    private static ClusterException alreadyExists(String id) {
        return new ClusterException(ClusterException.Reason.ALREADY_EXISTS, "process " + id + " already exists");
    }

    private ClusterProcess spawnNew(String id, ClusterSpawnRequest request) {
        ProcessSpec spec = request.getSpec();
        requireWasm(spec.getModule());
        requireSmallInline(spec);
        ByteString sha = modules.put(spec.getModule());
        java.util.Set<String> unreachable = new java.util.HashSet<>();
        while (true) {
            NodeRecord node = placer.place(PlacementRequest.of(spec, request.getPlacement(), unreachable));
            Span.current().setAttribute(SpanNames.TARGET_NODE, node.getName());
            OwnershipRecord record = OwnershipRecord.newBuilder()
                    .setProcessId(id)
                    .setOwner(node.getName())
                    .setEpoch(1)
                    .setState(ProcessState.PROCESS_STATE_RUNNING)
                    .setSpec(spec.toBuilder().clearModule().setModuleSha256(sha))
                    .setModuleSha256(sha)
                    .setPlacement(request.getPlacement())
                    .setUpdatedMillis(clock.millis())
                    .setCreatedMillis(clock.millis())
                    .build();
            try {
                store.create(record);
            } catch (ClusterException e) {
                Optional<Versioned<OwnershipRecord>> existing = store.find(id);
                if (existing.isPresent() && sameSpawn(existing.get().value(), record)) {
                    return ProcessViews.of(existing.get().value(), null); // an earlier attempt of this spawn made it
                }
                throw e;
            }
            ProcessInfo info;
            try {
                info = AgentCall.on(
                        node.getName(),
                        () -> agents.blocking(node, 1)
                                .spawn(SpawnRequest.newBuilder()
                                        .setProcessId(id)
                                        .setSpec(spec)
                                        .build()));
            } catch (RuntimeException e) {
                store.delete(id, 0); // created just now at version 0; nothing else touches a process no agent runs
                // A member that does not answer (dead, its session not yet expired): placement may pick another.
                if (e instanceof StatusRuntimeException s
                        && AgentCall.unreachable(s)
                        && request.getPlacement().getNode().isEmpty()
                        && unreachable.size() < MAX_SPAWN_ATTEMPTS - 1) {
                    unreachable.add(node.getName());
                    continue;
                }
                metrics.spawned("failed");
                throw e;
            }
            metrics.spawned("ok");
            events.publish(ClusterEvent.Kind.KIND_SPAWNED, id, node.getName(), 1, "spawned on " + node.getName());
            return ProcessViews.of(record, info);
        }
    }

    /** Whether {@code existing} is the record {@code attempt} would have written: the same spec, module and placement. */
    private static boolean sameSpawn(OwnershipRecord existing, OwnershipRecord attempt) {
        return existing.getSpec().equals(attempt.getSpec())
                && existing.getModuleSha256().equals(attempt.getModuleSha256())
                && existing.getPlacement().equals(attempt.getPlacement());
    }

    public ClusterProcess freeze(String id) {
        return onOwner(
                id,
                ClusterEvent.Kind.KIND_FROZEN,
                (n, r) -> agents.blocking(n, r.getEpoch()).freeze(ref(id)),
                b -> b.setState(ProcessState.PROCESS_STATE_FROZEN));
    }

    public ClusterProcess thaw(String id) {
        return onOwner(
                id,
                ClusterEvent.Kind.KIND_THAWED,
                (n, r) -> agents.blocking(n, r.getEpoch()).thaw(ref(id)),
                b -> b.setState(ProcessState.PROCESS_STATE_RUNNING));
    }

    /** A checkpoint on the owner, replicated to another node before the record names it (see {@link DurableCheckpoints}). */
    public CheckpointInfo checkpoint(CheckpointRequest request) {
        CheckpointInfo info = checkpoints.checkpoint(request);
        OwnershipRecord r = store.get(request.getProcessId()).value();
        events.publish(
                ClusterEvent.Kind.KIND_CHECKPOINTED,
                r.getProcessId(),
                r.getOwner(),
                r.getEpoch(),
                "checkpoint " + info.getCheckpointId());
        return info;
    }

    public ClusterProcess suspend(String id) {
        OwnershipRecord r = store.get(id).value();
        NodeRecord n = owners.require(r);
        CheckpointInfo info =
                AgentCall.on(n.getName(), () -> agents.blocking(n, r.getEpoch()).suspend(ref(id)));
        // Unless its policy says so, the suspend checkpoint stays on its owner only.
        List<String> holders = r.getSpec().getCheckpointPolicy().getOnSuspend()
                ? checkpoints.replicate(r, n, info.getCheckpointId())
                : List.of(n.getName());
        OwnershipRecord changed = change(
                r,
                b -> RetainedCopies.clear(b) // its image is the state to come back from now
                        .setState(ProcessState.PROCESS_STATE_SUSPENDED)
                        .setLastCheckpointId(info.getCheckpointId())
                        .clearCheckpointNodes()
                        .addAllCheckpointNodes(holders)
                        .setCheckpointMillis(clock.millis()));
        checkpoints.dropStale(r, holders);
        events.publish(
                ClusterEvent.Kind.KIND_SUSPENDED,
                id,
                n.getName(),
                r.getEpoch(),
                "checkpoint " + info.getCheckpointId());
        return ProcessViews.of(changed, null);
    }

    /**
     * Resumes a suspended process on its owner if the owner is live, not draining and not told
     * otherwise; else moves its image from the owner to {@code request.node} (or where placement
     * picks) under the next epoch.
     */
    public ClusterProcess resume(ClusterResumeRequest request) {
        String id = request.getProcessId();
        Versioned<OwnershipRecord> read = store.get(id);
        OwnershipRecord r = read.value();
        if (r.getState() != ProcessState.PROCESS_STATE_SUSPENDED) {
            throw new ClusterException(ClusterException.Reason.WRONG_STATE, "process " + id + " is not suspended");
        }
        Optional<NodeRecord> owner = owners.find(r);
        boolean here = request.getNode().isEmpty() || request.getNode().equals(r.getOwner());
        if (here && owner.isPresent() && !membership.isDraining(r.getOwner())) {
            NodeRecord n = owner.get();
            ProcessInfo info = AgentCall.on(
                    n.getName(),
                    () -> agents.blocking(n, r.getEpoch())
                            .resume(ResumeRequest.newBuilder().setProcessId(id).build()));
            OwnershipRecord changed = change(r, b -> b.setState(ProcessState.PROCESS_STATE_RUNNING));
            events.publish(ClusterEvent.Kind.KIND_RESUMED, id, n.getName(), r.getEpoch(), "resumed on " + n.getName());
            return ProcessViews.of(changed, info);
        }
        NodeRecord from = owners.require(r); // the image lives in the owner's checkpoint store
        NodeRecord to = request.getNode().isEmpty() || here
                ? placer.place(PlacementRequest.of(
                        r.getSpec(), r.getPlacement().toBuilder().clearNode().build(), Set.of(r.getOwner())))
                : membership.require(request.getNode());
        if (membership.isDraining(to.getName())) {
            throw new ClusterException(ClusterException.Reason.WRONG_STATE, "node " + to.getName() + " is draining");
        }
        // The record moves first: the target agent starts only what the ownership records give it.
        // The old owner's checkpoints go with its copy below, so the record stops naming it as a holder
        // (else a recovery would look for the checkpoint there, forever).
        List<String> holders = r.getCheckpointNodesList().stream()
                .filter(n -> !n.equals(from.getName()))
                .toList();
        OwnershipRecord.Builder movedRecord = RetainedCopies.clear(r.toBuilder())
                .setOwner(to.getName())
                .setEpoch(r.getEpoch() + 1)
                .setState(ProcessState.PROCESS_STATE_RUNNING)
                .clearCheckpointNodes()
                .addAllCheckpointNodes(holders)
                .setUpdatedMillis(clock.millis());
        if (holders.isEmpty()) {
            movedRecord.setLastCheckpointId("").setCheckpointMillis(0);
        }
        OwnershipRecord moved = movedRecord.build();
        int version = store.update(moved, read.version());
        ProcessInfo info;
        try {
            info = images.move(r, from, to, moved.getEpoch());
        } catch (RuntimeException e) {
            killQuietly(to, id, moved.getEpoch()); // whatever arrived must not run
            try {
                // Back to the old owner, still suspended, under a newer epoch still (epochs never go down).
                store.update(
                        r.toBuilder()
                                .setEpoch(moved.getEpoch() + 1)
                                .setUpdatedMillis(clock.millis())
                                .build(),
                        version);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        killQuietly(from, id, moved.getEpoch()); // the old owner's suspended copy and its checkpoints go
        events.publish(
                ClusterEvent.Kind.KIND_RESUMED,
                id,
                to.getName(),
                moved.getEpoch(),
                "resumed on " + to.getName() + " from the image on " + from.getName());
        return ProcessViews.of(moved, info);
    }

    /** Ends the process on its owner and deletes its record; a down owner's process is forgotten (its agent is fenced out). */
    public ClusterProcess kill(String id) {
        Versioned<OwnershipRecord> read = store.get(id);
        OwnershipRecord r = read.value();
        if (!r.getMigrationId().isEmpty()) {
            throw new ClusterException(
                    ClusterException.Reason.WRONG_STATE, "process " + id + " is migrating; kill it after");
        }
        ProcessInfo info = null;
        Optional<NodeRecord> owner = owners.find(r);
        if (owner.isPresent()) {
            try {
                info = agents.blocking(owner.get(), r.getEpoch()).kill(ref(id));
            } catch (StatusRuntimeException e) {
                if (!AgentCall.notFound(e)) {
                    throw AgentCall.named(r.getOwner(), e);
                }
            }
        }
        OwnershipRecord deleted = deleteKilled(read);
        java.util.Set<String> holders = new java.util.HashSet<>(r.getCheckpointNodesList());
        holders.addAll(r.getEndedCopyNodesList());
        holders.addAll(deleted.getCheckpointNodesList());
        holders.addAll(deleted.getEndedCopyNodesList());
        for (String holder : holders) {
            if (!holder.equals(r.getOwner())) {
                checkpoints.dropReplica(holder, id);
            }
        }
        events.publish(ClusterEvent.Kind.KIND_KILLED, id, r.getOwner(), r.getEpoch(), "killed");
        return ProcessViews.of(
                r.toBuilder().setState(ProcessState.PROCESS_STATE_KILLED).build(), info);
    }

    /**
     * Deletes the record of a process its owner just killed, re-reading it on a lost race (the leader's
     * checkpoint loop may have named a checkpoint or an ended copy meanwhile) as long as it names the same
     * owner and epoch; returns the record as deleted.
     */
    private OwnershipRecord deleteKilled(Versioned<OwnershipRecord> read) {
        Versioned<OwnershipRecord> current = read;
        for (int attempt = 0; ; attempt++) {
            try {
                store.delete(current.value().getProcessId(), current.version());
                return current.value();
            } catch (ClusterException e) {
                if (e.reason() != ClusterException.Reason.CONFLICT || attempt >= 4) {
                    throw e;
                }
                current = store.get(read.value().getProcessId());
                OwnershipRecord now = current.value();
                if (!now.getOwner().equals(read.value().getOwner())
                        || now.getEpoch() != read.value().getEpoch()
                        || !now.getMigrationId().isEmpty()) {
                    throw e;
                }
            }
        }
    }

    private interface OwnerCall {
        ProcessInfo call(NodeRecord node, OwnershipRecord record);
    }

    private ClusterProcess onOwner(
            String id, ClusterEvent.Kind kind, OwnerCall call, UnaryOperator<OwnershipRecord.Builder> edit) {
        OwnershipRecord r = store.get(id).value();
        NodeRecord n = owners.require(r);
        ProcessInfo info = AgentCall.on(n.getName(), () -> call.call(n, r));
        OwnershipRecord changed = change(r, edit);
        events.publish(
                kind,
                id,
                n.getName(),
                r.getEpoch(),
                kind.name().substring("KIND_".length()).toLowerCase(Locale.ROOT));
        return ProcessViews.of(changed, info);
    }

    /**
     * Applies {@code edit} to the record, re-reading on a lost race, as long as it still names the
     * owner and epoch the agent call went to (otherwise the change no longer applies: ABORTED).
     */
    private OwnershipRecord change(OwnershipRecord basis, UnaryOperator<OwnershipRecord.Builder> edit) {
        for (int attempt = 0; ; attempt++) {
            Versioned<OwnershipRecord> now = store.get(basis.getProcessId());
            OwnershipRecord r = now.value();
            if (!r.getOwner().equals(basis.getOwner()) || r.getEpoch() != basis.getEpoch()) {
                throw new ClusterException(
                        ClusterException.Reason.CONFLICT,
                        "process " + r.getProcessId() + " moved to " + r.getOwner() + " meanwhile");
            }
            OwnershipRecord changed =
                    edit.apply(r.toBuilder()).setUpdatedMillis(clock.millis()).build();
            try {
                store.update(changed, now.version());
                return changed;
            } catch (ClusterException e) {
                if (e.reason() != ClusterException.Reason.CONFLICT || attempt >= 4) {
                    throw e;
                }
            }
        }
    }

    private void killQuietly(NodeRecord node, String id, long epoch) {
        try {
            agents.blocking(node, epoch).kill(ref(id));
        } catch (StatusRuntimeException ignored) {
            // it goes when its agent next checks the record (fencing); nothing else to do now
        }
    }

    private static ProcessRef ref(String id) {
        return ProcessRef.newBuilder().setProcessId(id).build();
    }
}
