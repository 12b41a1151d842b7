package pm.agent.migration;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import pm.agent.AgentChannels;
import pm.agent.AgentException;
import pm.agent.AgentMetrics;
import pm.agent.channel.Forwarding;
import pm.agent.ownership.Ownership;
import pm.agent.process.HandedOverCopies;
import pm.agent.process.HostedProcess;
import pm.agent.process.ProcessHost;
import pm.agent.process.ProcessLog;
import pm.common.tracing.PhaseTrace;
import pm.common.tracing.SpanNames;
import pm.common.tracing.Spans;
import pm.runtime.interp.MemoryInstance;
import pm.runtime.process.WasiProcess;
import pm.runtime.sched.ScheduledProcess;
import pm.v1.LogChunk;
import pm.v1.LogTail;
import pm.v1.MigrateRequest;
import pm.v1.MigrationRef;
import pm.v1.MigrationResult;
import pm.v1.MigrationStatusReply;
import pm.v1.NodeAgentGrpc;
import pm.v1.ProcessRecord;
import pm.v1.ProcessState;
import pm.v1.TransferBegin;
import pm.v1.TransferFinal;
import pm.v1.TransferFrame;
import pm.v1.TransferReply;

/**
 * The source side of a live migration: pre-copy rounds of dirty pages while the process keeps
 * running, then freeze, the last dirty pages and the execution and session state; the target
 * holds the process frozen until the decision. With {@code commit} this agent decides: it records
 * HANDED_OFF durably (the commit point), tells the target to resume and drops its copy; otherwise
 * (a cluster: the coordinator decides) the process stays frozen here until {@link #commit}, after
 * which this agent keeps it, as handed over, in {@link HandedOverCopies} while the ownership record
 * names that copy, or until {@link #abort}. Any failure before the
 * commit point aborts: the target's copy is dropped and the process thaws here.
 *
 * <p>Threads: a migration runs on the calling gRPC thread holding the process's lock; the dirty
 * set is taken on the scheduler's terms ({@code whileParked}) and pages are read while the
 * process runs (a page written meanwhile is dirty again and goes in a later round). Its trace
 * ({@link SpanNames#SOURCE} with a span per phase) lives on that thread too.
 */
public final class MigrationSource {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MigrationSource.class);

    private static final long DEFAULT_DOWNTIME_BUDGET_MICROS = 20_000;
    private static final int DEFAULT_MAX_ROUNDS = 30;
    private static final long STREAM_TIMEOUT_MILLIS = 60_000;

    /** A migration waiting for the caller's decision (or for the target to hear of it). */
    private record Pending(
            HostedProcess process, String target, boolean wasRunning, boolean retains, long sinceNanos) {}

    /**
     * How long a migration out waits for its decision before this agent reads the record itself (it acts
     * only once the record no longer names the migration, so this only keeps it off a decision in flight).
     */
    private static final long UNDECIDED_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final ProcessHost host;
    private final AgentChannels channels;
    private final AgentMetrics metrics;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final Map<String, ProcessRecord> handOffs = new ConcurrentHashMap<>();

    private final FaultPoints faults;
    private final Supplier<String> selfAddress;
    private final Forwarding forwarding;
    private final Tracer tracer;

    /** {@code selfAddress}: where targets reach this agent to ask how a migration ended. */
    MigrationSource(
            ProcessHost host,
            AgentChannels channels,
            AgentMetrics metrics,
            FaultPoints faults,
            Supplier<String> selfAddress) {
        this(
                host,
                channels,
                metrics,
                faults,
                selfAddress,
                new Forwarding(1),
                io.opentelemetry.api.OpenTelemetry.noop().getTracer("pm.agent"));
    }

    /**
     * {@code forwarding}: told where each process went at its commit, for deliveries that come here later;
     * {@code tracer}: records each migration's phases.
     */
    public MigrationSource(
            ProcessHost host,
            AgentChannels channels,
            AgentMetrics metrics,
            FaultPoints faults,
            Supplier<String> selfAddress,
            Forwarding forwarding,
            Tracer tracer) {
        this.tracer = tracer;
        this.forwarding = forwarding;
        this.selfAddress = selfAddress;
        this.host = host;
        this.channels = channels;
        this.metrics = metrics;
        this.faults = faults;
    }

    public MigrationResult migrate(MigrateRequest request) throws InterruptedException {
        HostedProcess h = host.get(request.getProcessId());
        if (request.getTarget().isEmpty()) {
            throw new AgentException(AgentException.Reason.BAD_REQUEST, "a migration needs a target address");
        }
        h.lock.lock();
        try {
            ProcessHost.requireState(
                    h, "migrate", ProcessState.PROCESS_STATE_RUNNING, ProcessState.PROCESS_STATE_FROZEN);
            return run(h, request);
        } finally {
            h.lock.unlock();
        }
    }

    private MigrationResult run(HostedProcess h, MigrateRequest request) throws InterruptedException {
        String migrationId =
                request.getMigrationId().isEmpty() ? UUID.randomUUID().toString() : request.getMigrationId();
        boolean wasRunning = h.is(ProcessState.PROCESS_STATE_RUNNING);
        long epoch = Math.max(request.getEpoch(), h.epoch + 1);
        // Opened before the stream, so that the stream's call (and the target's side) is part of it.
        try (PhaseTrace trace = PhaseTrace.start(
                tracer,
                SpanNames.SOURCE,
                Attributes.builder()
                        .put(SpanNames.PROCESS_ID, h.id)
                        .put(SpanNames.MIGRATION_ID, migrationId)
                        .put(SpanNames.EPOCH, epoch)
                        .put(SpanNames.TARGET_ADDRESS, request.getTarget())
                        .build())) {
            return run(h, request, migrationId, epoch, wasRunning, trace);
        }
    }

    private MigrationResult run(
            HostedProcess h,
            MigrateRequest request,
            String migrationId,
            long epoch,
            boolean wasRunning,
            PhaseTrace trace)
            throws InterruptedException {
        long t0 = System.nanoTime();
        long budgetNanos = TimeUnit.MICROSECONDS.toNanos(
                request.getDowntimeBudgetMicros() > 0
                        ? request.getDowntimeBudgetMicros()
                        : DEFAULT_DOWNTIME_BUDGET_MICROS);
        int maxRounds = request.getMaxRounds() > 0 ? request.getMaxRounds() : DEFAULT_MAX_ROUNDS;
        ManagedChannel channel = channels.get(request.getTarget());
        TransferStream stream = new TransferStream(STREAM_TIMEOUT_MILLIS);
        stream.start(NodeAgentGrpc.newStub(channel));
        h.migratingOut();
        boolean frozen = !wasRunning;
        // In a cluster the coordinator decides, and this agent keeps the process as it hands it over until
        // the target's first durable checkpoint: so the target need not force anything before it answers.
        boolean retains = host.clustered() && !request.getCommit();
        long freezeStart = 0;
        String phases = "";
        MigrationResult.Builder result =
                MigrationResult.newBuilder().setMigrationId(migrationId).setProcessId(h.id);
        try {
            stream.open(TransferFrame.newBuilder()
                    .setBegin(TransferBegin.newBuilder()
                            .setMigrationId(migrationId)
                            .setProcessId(h.id)
                            .setModuleSha256(ByteString.copyFrom(h.module.sha256()))
                            .setSpec(h.spec)
                            .addAllFileInputs(h.fileInputs)
                            .setEpoch(epoch)
                            .setSource(selfAddress.get())
                            .setSourceRetains(retains))
                    .build());
            if (stream.await(r -> true).getNeedModule()) {
                stream.send(TransferFrame.newBuilder()
                        .setModule(ByteString.copyFrom(host.modules().bytesOf(h.module)))
                        .build());
            }
            // Pre-copy: round 0 sends every non-zero page, later rounds what was written meanwhile.
            int rounds = 0;
            long pagesSent = 0;
            long previousDirty = Long.MAX_VALUE;
            double bytesPerNano = 0;
            while (!frozen && rounds < maxRounds) {
                if (io.grpc.Context.current().isCancelled()) {
                    throw new AgentException(
                            AgentException.Reason.UNAVAILABLE, "the caller gave up (deadline or cancel)");
                }
                long r0 = System.nanoTime();
                boolean first = rounds == 0;
                // A round whose dirty set goes in the final frame (not shrinking, or within budget) sends nothing: 0
                // bytes.
                Span round = trace.phase(SpanNames.PRECOPY_ROUND).setAttribute(SpanNames.ROUND, rounds);
                Snapshot s = await(h.handle.whileParked(() -> snapshot(h.process, first)));
                long dirty = s.pages.cardinality();
                if (rounds > 0
                        && (dirty >= previousDirty
                                || dirty * MemoryInstance.PAGE_SIZE / Math.max(bytesPerNano, 1e-3) <= budgetNanos)) {
                    // Not shrinking, or the rest fits the downtime budget: this set goes in the final round.
                    await(h.handle.whileParked(() -> restoreDirty(h.process, s.pages)));
                    round.setAttribute(SpanNames.PAGES, 0).setAttribute(SpanNames.BYTES, 0);
                    break;
                }
                long before = stream.bytesSent();
                long roundPages = sendPages(stream, s, rounds == 0);
                pagesSent += roundPages;
                round.setAttribute(SpanNames.PAGES, roundPages)
                        .setAttribute(SpanNames.BYTES, stream.bytesSent() - before);
                long took = System.nanoTime() - r0;
                if (took > 0) {
                    bytesPerNano = (double) (stream.bytesSent() - before) / took;
                }
                previousDirty = dirty;
                rounds++;
                faults.hit(FaultPoints.SOURCE_PRECOPY);
            }
            long precopied = System.nanoTime();
            trace.phase(SpanNames.SYNC);
            long logSentEnd = sendLogSoFar(stream, h.log);
            if (rounds > 0) {
                // The target's disk catches up with the stream now, so the downtime forces only the last round.
                stream.send(TransferFrame.newBuilder().setSync(true).build());
                stream.await(TransferReply::getSynced);
            }
            // Stop and copy: freeze, the last dirty pages, execution and session state.
            freezeStart = System.nanoTime();
            String before = String.format(
                    "pre-copy %d rounds %.0f ms, target's disk caught up %.0f ms",
                    rounds, (precopied - t0) / 1e6, (freezeStart - precopied) / 1e6);
            trace.phase(SpanNames.FREEZE);
            if (!frozen) {
                ProcessHost.await(h.handle.freeze());
                frozen = true;
            }
            long frozenAt = System.nanoTime();
            Span finalFrame = trace.phase(SpanNames.FINAL_FRAME);
            faults.hit(FaultPoints.SOURCE_FROZEN);
            Snapshot last = snapshot(h.process, rounds == 0);
            long finalPages = sendPages(stream, last, rounds == 0);
            long pagesSentAt = System.nanoTime();
            WasiProcess p = h.process;
            stream.send(TransferFrame.newBuilder()
                    .setFinal(TransferFinal.newBuilder()
                            .setExecution(p.captureExecution().toByteString())
                            .setWasi(p.captureSession().toByteString())
                            // Sealed with the capture: from here deliveries wait (RETRY_LATER) for the copy that lives
                            // on.
                            .setChannels(p.sealChannels().toByteString())
                            .setMemoryPages(last.memoryPages)
                            .setLogOffset(h.log.end())
                            .addAllLogTail(h.log.retainedChunksFrom(logSentEnd))
                            .setFrozen(!wasRunning))
                    .build());
            faults.hit(FaultPoints.SOURCE_FINAL_SENT);
            long finalSentAt = System.nanoTime();
            stream.await(r -> r.getPrepared());
            long preparedAt = System.nanoTime();
            phases = before
                    + String.format(
                            "; freeze %.1f ms, last %d pages %.1f ms, state %.1f ms, target prepared %.1f ms",
                            (frozenAt - freezeStart) / 1e6,
                            finalPages,
                            (pagesSentAt - frozenAt) / 1e6,
                            (finalSentAt - pagesSentAt) / 1e6,
                            (preparedAt - finalSentAt) / 1e6);
            finalFrame.setAttribute(SpanNames.PAGES, finalPages);
            trace.endPhase();
            stream.finish();
            result.setRounds(rounds)
                    .setPagesSent(pagesSent + finalPages)
                    .setFinalPages(finalPages)
                    .setBytesSent(stream.bytesSent())
                    .setRetainsCopy(retains)
                    .setPrepareMicros((preparedAt - finalSentAt) / 1000);
            metrics.streamed(stream.bytesSent());
            pending.put(migrationId, new Pending(h, request.getTarget(), wasRunning, retains, System.nanoTime()));
        } catch (RuntimeException | InterruptedException e) {
            trace.failed(e);
            trace.endPhase();
            stream.cancel("migration aborted: " + e.getMessage());
            pending.remove(migrationId);
            tellTarget(request.getTarget(), migrationId, h.id, false);
            // A process that ended during pre-copy (the usual reason a freeze fails here) keeps the final state its
            // end callback gives it; set back to RUNNING it would be a zombie that no call can stop or reap.
            h.process.channels().unseal();
            if (h.handle.status() != ScheduledProcess.Status.ENDED) {
                h.scheduled(!wasRunning); // as it was before the migration
            }
            metrics.migrationFailed();
            throw e;
        }
        long resumed;
        long decided = System.nanoTime();
        // The target holds it PREPARED and the commit is not decided yet, whoever decides it (this
        // agent below, or the coordinator once this call returns).
        faults.hit(FaultPoints.SOURCE_BEFORE_COMMIT);
        if (request.getCommit()) {
            trace.phase(SpanNames.HAND_OFF);
            Pending p = pending.get(migrationId);
            boolean told = commitPoint(migrationId, p, true);
            resumed = System.nanoTime(); // the target runs it from here on
            dropCopy(migrationId, p, told);
            result.setCommitted(true);
        } else {
            resumed = System.nanoTime();
        }
        long downtime = resumed - freezeStart;
        long total = System.nanoTime() - t0;
        LOG.atInfo()
                .addKeyValue("process", h.id)
                .addKeyValue("migration", migrationId)
                .addKeyValue("downtime_ms", String.format("%.1f", downtime / 1e6))
                .log(String.format(
                        "migrated out: %s, commit point and target resumed %.1f ms: downtime %.1f ms",
                        phases, (resumed - decided) / 1e6, downtime / 1e6));
        metrics.migratedOut(downtime, total);
        return result.setDowntimeMicros(downtime / 1000)
                .setTotalMicros(total / 1000)
                .build();
    }

    /**
     * The commit point of a migration this agent started: HANDED_OFF on disk, then the target
     * resumes, then this copy goes. If the target cannot be told now, the record stays and the
     * target learns the outcome by asking ({@link #status}).
     */
    public HostedProcess commit(String migrationId, boolean tellTarget) {
        Pending p = pending.get(migrationId);
        if (p == null) {
            throw new AgentException(
                    AgentException.Reason.NOT_FOUND, "no migration " + migrationId + " waiting on this agent");
        }
        return Spans.call(
                tracer,
                SpanNames.HAND_OFF,
                Attributes.of(
                        SpanNames.PROCESS_ID,
                        p.process.id,
                        SpanNames.MIGRATION_ID,
                        migrationId,
                        SpanNames.EPOCH,
                        p.process.epoch),
                () -> commit(migrationId, p, tellTarget));
    }

    private HostedProcess commit(String migrationId, Pending p, boolean tellTarget) {
        boolean told = commitPoint(migrationId, p, tellTarget);
        dropCopy(migrationId, p, told);
        LOG.atInfo()
                .addKeyValue("process", p.process.id)
                .addKeyValue("migration", migrationId)
                .addKeyValue("epoch", p.process.epoch)
                .log("migration committed; handed off to {}", p.target);
        return p.process;
    }

    /** HANDED_OFF on disk, then the target resumes; returns whether it heard. */
    private boolean commitPoint(String migrationId, Pending p, boolean tellTarget) {
        host.record(p.process, ProcessRecord.Disposition.DISPOSITION_HANDED_OFF, migrationId, p.target, false);
        faults.hit(FaultPoints.SOURCE_AFTER_COMMIT);
        return !tellTarget || tellTarget(p.target, migrationId, p.process.id, true);
    }

    /**
     * After the commit point: this copy stops being a process here and its checkpoints go; the record too
     * once the target has heard. In a cluster the process is kept as it was handed over (in memory, with
     * its log) while the ownership record names it.
     */
    private void dropCopy(String migrationId, Pending p, boolean told) {
        HostedProcess h = p.process;
        forwarding.handedOff(h.id, p.target);
        ProcessHost.await(h.handle.remove());
        h.gone();
        WasiProcess handedOver = h.process;
        h.handle = null;
        h.process = null;
        host.drop(h);
        if (p.retains && handedOver != null) {
            h.log.endFollowers(); // a follow goes on at the target, as when the log closes
            host.handedOver()
                    .keep(new HandedOverCopies.Copy(
                            h.id, migrationId, h.spec, h.module, h.fileInputs, handedOver, h.log));
        } else {
            h.log.close();
            h.log.delete(); // the target kept all of it (sent ahead of the freeze)
        }
        pending.remove(migrationId);
        host.stores().delete(h.id);
        host.stores().deleteStaging(h.id);
        if (told) {
            // Need not be durable before the answer: a HANDED_OFF record that outlives a crash is
            // asked about again and dropped (retryHandOffs). Saves a journal force per migration.
            host.records().deleteEventually(h.id);
        } else {
            host.records().get(h.id).ifPresent(this::rememberHandOff);
        }
    }

    /** Before the commit point: the target drops its copy, the process carries on here. */
    public HostedProcess abort(String migrationId) {
        Pending p = pending.remove(migrationId);
        if (p == null) {
            throw new AgentException(
                    AgentException.Reason.NOT_FOUND, "no migration " + migrationId + " waiting on this agent");
        }
        HostedProcess h = p.process;
        h.lock.lock();
        try {
            h.process.channels().unseal();
            h.scheduled(!p.wasRunning); // as it was before the migration
        } finally {
            h.lock.unlock();
        }
        LOG.atInfo()
                .addKeyValue("process", h.id)
                .addKeyValue("migration", migrationId)
                .addKeyValue("epoch", h.epoch)
                .log("migration aborted; runs on here");
        host.runsAgain(h);
        return h;
    }

    /** A hand-off whose target may not have heard of the commit yet (found on disk after a restart). */
    public void rememberHandOff(ProcessRecord record) {
        handOffs.put(record.getMigrationId(), record);
        forwarding.handedOff(record.getProcessId(), record.getPeer());
    }

    /**
     * Settles from the ownership records the migrations out of this agent whose decision never came
     * (the coordinator settled them while this agent was paused or cut off, and could not tell it):
     * with the process gone or past the migration's epoch this copy goes as after a commit; with the
     * record naming this node at the old epoch and no migration, the migration was given up and this
     * copy carries on; while the record names the migration, it waits. Standalone, nothing decides
     * but this agent's own caller.
     */
    public void resolveUndecided(Ownership ownership) {
        for (Map.Entry<String, Pending> e : pending.entrySet()) {
            Pending p = e.getValue();
            if (System.nanoTime() - p.sinceNanos() < UNDECIDED_NANOS) {
                continue; // its coordinator is still deciding
            }
            try {
                switch (ownership.decisionAsSource(e.getKey(), p.process().id, p.process().epoch)) {
                    case DECISION_COMMITTED -> commit(e.getKey(), false);
                    case DECISION_ABORTED -> abort(e.getKey());
                    default -> {} // undecided, or no record decides: ask again later
                }
            } catch (RuntimeException ignored) {
                // decided meanwhile by its coordinator, or ZooKeeper unreachable: ask again later
            }
        }
    }

    /** Tells targets of earlier commits they may have missed; a record goes once its target has heard. */
    public void retryHandOffs() {
        for (ProcessRecord r : handOffs.values()) {
            if (tellTarget(r.getPeer(), r.getMigrationId(), r.getProcessId(), true) || targetSettled(r)) {
                handOffs.remove(r.getMigrationId());
                if (host.find(r.getProcessId()).isEmpty()) {
                    host.records().delete(r.getProcessId());
                }
            }
        }
    }

    /** The target answers NOT_FOUND to a commit it already applied; asking it for the process tells which. */
    private boolean targetSettled(ProcessRecord r) {
        try {
            NodeAgentGrpc.newBlockingStub(channels.get(r.getPeer()))
                    .withDeadlineAfter(5, TimeUnit.SECONDS)
                    .get(pm.v1.ProcessRef.newBuilder()
                            .setProcessId(r.getProcessId())
                            .build());
            return true; // it runs there
        } catch (RuntimeException e) {
            return false;
        }
    }

    boolean isPending(String migrationId) {
        return pending.containsKey(migrationId);
    }

    /** How a migration this agent was the source of ended, for a target holding a prepared copy. */
    public MigrationStatusReply.Decision status(String migrationId, String processId) {
        if (pending.containsKey(migrationId)) {
            return MigrationStatusReply.Decision.DECISION_UNDECIDED;
        }
        if (handOffs.containsKey(migrationId)) {
            return MigrationStatusReply.Decision.DECISION_COMMITTED;
        }
        return host.records()
                .get(processId)
                .filter(r -> r.getDisposition() == ProcessRecord.Disposition.DISPOSITION_HANDED_OFF
                        && r.getMigrationId().equals(migrationId))
                .map(r -> MigrationStatusReply.Decision.DECISION_COMMITTED)
                .orElse(MigrationStatusReply.Decision.DECISION_ABORTED);
    }

    /** Tells the target of the decision; false if it could not be reached (it will ask). */
    boolean tellTarget(String target, String migrationId, String processId, boolean commit) {
        try {
            NodeAgentGrpc.NodeAgentBlockingStub stub =
                    NodeAgentGrpc.newBlockingStub(channels.get(target)).withDeadlineAfter(30, TimeUnit.SECONDS);
            MigrationRef ref = MigrationRef.newBuilder()
                    .setMigrationId(migrationId)
                    .setProcessId(processId)
                    .build();
            if (commit) {
                stub.commitMigration(ref);
            } else {
                stub.abortMigration(ref);
            }
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Pages to send: all (first round) or the dirty ones, with the memory as it was when taken. */
    private record Snapshot(byte[] memory, int memoryPages, BitSet pages) {}

    private static Snapshot snapshot(WasiProcess p, boolean all) {
        MemoryInstance memory = p.memory();
        if (memory == null) {
            return new Snapshot(new byte[0], 0, new BitSet());
        }
        BitSet dirty = memory.takeDirtyPages();
        if (all) {
            dirty.set(0, memory.pages());
        }
        return new Snapshot(memory.bytes(), memory.pages(), dirty);
    }

    private static Void restoreDirty(WasiProcess p, BitSet pages) {
        MemoryInstance memory = p.memory();
        for (int i = pages.nextSetBit(0); i >= 0; i = pages.nextSetBit(i + 1)) {
            memory.markDirty(i * MemoryInstance.PAGE_SIZE, 1);
        }
        return null;
    }

    private static long sendPages(TransferStream stream, Snapshot s, boolean firstRound) throws InterruptedException {
        long[] sent = {0};
        InterruptedException[] interrupted = {null};
        PageRuns.emit(s.memory, s.memoryPages, s.pages, firstRound, run -> {
            if (interrupted[0] == null) {
                try {
                    stream.send(TransferFrame.newBuilder().setPages(run).build());
                    sent[0] += run.getCount();
                } catch (InterruptedException e) {
                    interrupted[0] = e;
                }
            }
        });
        if (interrupted[0] != null) {
            throw interrupted[0];
        }
        return sent[0];
    }

    /**
     * Sends the output the process has retained so far, ahead of the freeze; returns the offset the
     * final frame's log tail starts at (0 when nothing was retained: then it carries all of it).
     */
    private static long sendLogSoFar(TransferStream stream, ProcessLog log) throws InterruptedException {
        // All that is kept, disk included, in frames of about 1 MiB: the target serves it from offset 0 too.
        List<LogChunk> frame = new java.util.ArrayList<>();
        long[] bytes = {0};
        long[] sentEnd = {0};
        InterruptedException[] interrupted = {null};
        log.forEachKept(c -> {
            if (interrupted[0] != null) {
                return;
            }
            frame.add(c);
            bytes[0] += c.getData().size();
            sentEnd[0] = c.getOffset() + c.getData().size();
            if (bytes[0] >= LOG_FRAME_BYTES) {
                try {
                    stream.send(TransferFrame.newBuilder()
                            .setLogTail(LogTail.newBuilder().addAllChunks(frame))
                            .build());
                } catch (InterruptedException e) {
                    interrupted[0] = e;
                }
                frame.clear();
                bytes[0] = 0;
            }
        });
        if (interrupted[0] != null) {
            throw interrupted[0];
        }
        stream.send(TransferFrame.newBuilder()
                .setLogTail(LogTail.newBuilder().addAllChunks(frame))
                .build());
        return sentEnd[0];
    }

    private static final int LOG_FRAME_BYTES = 1 << 20;

    private static <T> T await(java.util.concurrent.Future<T> f) {
        return ProcessHost.await(f);
    }
}
