package pm.agent.migration;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import pm.agent.AgentChannels;
import pm.agent.AgentException;
import pm.agent.AgentMetrics;
import pm.agent.StatusMapping;
import pm.agent.ownership.Ownership;
import pm.agent.process.HostedProcess;
import pm.agent.process.ProcessHost;
import pm.agent.process.ProcessLog;
import pm.agent.store.LogSegments;
import pm.common.tracing.SpanNames;
import pm.common.tracing.Spans;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.interp.MemoryInstance;
import pm.runtime.process.WasiProcess;
import pm.v1.ExecutionState;
import pm.v1.LogChunk;
import pm.v1.MigrationRef;
import pm.v1.MigrationStatusReply;
import pm.v1.NodeAgentGrpc;
import pm.v1.PageRun;
import pm.v1.ProcessRecord;
import pm.v1.ProcessState;
import pm.v1.TransferBegin;
import pm.v1.TransferFinal;
import pm.v1.TransferFrame;
import pm.v1.TransferReply;
import pm.v1.WasiState;

/**
 * The target side of a live migration: receives pages into the memory the process will own and
 * into a staging file (written behind the stream by a {@link StagingWriter}; a sync frame before
 * the freeze waits until it is on disk, so only the last round is forced in the downtime),
 * restores the process from the final frame and holds it frozen until the decision. Standalone it
 * first makes the copy durable (the last pages forced, a PREPARED record holding the final frame);
 * in a cluster the source keeps its copy after the commit, so the target answers at once and its
 * staged pages reach the disk behind the answer. The decision: {@link #commit} resumes it, {@link #abort} drops it. A
 * prepared process whose decision never came asks its source ({@link #resolveUndecided}).
 *
 * <p>Threads: one {@link Receiver} per stream, called by gRPC serially; the prepared map is shared.
 */
public final class MigrationTarget {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MigrationTarget.class);

    /** A process restored from a migration, frozen here until the decision. */
    private record Prepared(HostedProcess process, String source, TransferFinal staged) {}

    private final ProcessHost host;
    private final AgentChannels channels;
    private final AgentMetrics metrics;
    private final Map<String, Prepared> prepared = new ConcurrentHashMap<>();
    private final ExecutorService stagingWriters = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "pm-agent-staging");
        t.setDaemon(true);
        return t;
    });

    private final FaultPoints faults;
    /** Received bytes the staging file may lag behind before the stream waits for the disk. */
    private static final long STAGING_BACKLOG_BYTES = 64L << 20;

    private final Tracer tracer;

    /** {@code tracer}: records each incoming migration (receive, prepare) and its resume. */
    public MigrationTarget(
            ProcessHost host, AgentChannels channels, AgentMetrics metrics, FaultPoints faults, Tracer tracer) {
        this.tracer = tracer;
        this.host = host;
        this.channels = channels;
        this.metrics = metrics;
        this.faults = faults;
    }

    public StreamObserver<TransferFrame> receive(StreamObserver<TransferReply> replies) {
        return new Receiver(replies);
    }

    /** Resumes a prepared process under its new epoch. Idempotent for a migration already committed. */
    public HostedProcess commit(String migrationId) {
        Prepared p = prepared.remove(migrationId);
        if (p == null) {
            throw new AgentException(
                    AgentException.Reason.NOT_FOUND, "no prepared migration " + migrationId + " on this agent");
        }
        return Spans.call(
                tracer,
                SpanNames.RESUME,
                Attributes.of(
                        SpanNames.PROCESS_ID,
                        p.process.id,
                        SpanNames.MIGRATION_ID,
                        migrationId,
                        SpanNames.EPOCH,
                        p.process.epoch),
                () -> resume(migrationId, p));
    }

    private HostedProcess resume(String migrationId, Prepared p) {
        HostedProcess h = p.process;
        h.lock.lock();
        try {
            boolean frozen = p.staged.getFrozen();
            h.scheduled(frozen);
            LOG.atInfo()
                    .addKeyValue("process", h.id)
                    .addKeyValue("migration", migrationId)
                    .addKeyValue("epoch", h.epoch)
                    .log("migration committed; runs here");
            host.runsAgain(h);
            // Off the downtime path: until this record is on disk, a restart finds the PREPARED one and
            // asks the source, whose HANDED_OFF record already says the migration committed.
            host.later(() -> {
                h.lock.lock();
                try {
                    if (host.find(h.id).orElse(null) == h) {
                        host.record(
                                h,
                                ProcessRecord.Disposition.DISPOSITION_OWNED,
                                "",
                                "",
                                h.is(ProcessState.PROCESS_STATE_FROZEN));
                        faults.hit(FaultPoints.TARGET_AFTER_COMMIT);
                    }
                } finally {
                    h.lock.unlock();
                }
            });
            return h;
        } finally {
            h.lock.unlock();
        }
    }

    public HostedProcess abort(String migrationId) {
        Prepared p = prepared.remove(migrationId);
        if (p == null) {
            throw new AgentException(
                    AgentException.Reason.NOT_FOUND, "no prepared migration " + migrationId + " on this agent");
        }
        LOG.atInfo()
                .addKeyValue("process", p.process.id)
                .addKeyValue("migration", migrationId)
                .addKeyValue("epoch", p.process.epoch)
                .log("migration aborted; the copy prepared here is dropped");
        HostedProcess h = p.process;
        h.lock.lock();
        try {
            ProcessHost.await(h.handle.remove());
            h.gone();
            h.log.close();
            host.drop(h);
            host.forget(h.id);
            return h;
        } finally {
            h.lock.unlock();
        }
    }

    public boolean isPrepared(String migrationId) {
        return prepared.containsKey(migrationId);
    }

    /** Registers a prepared process found on disk after a restart. */
    public void holdPrepared(String migrationId, HostedProcess h, String source, TransferFinal staged) {
        prepared.put(migrationId, new Prepared(h, source, staged));
    }

    /**
     * Settles every prepared migration whose decision did not arrive: the ownership records decide
     * when the agent is part of a cluster, otherwise the source is asked.
     */
    public void resolveUndecided(Ownership ownership) {
        for (Map.Entry<String, Prepared> e : prepared.entrySet()) {
            Prepared p = e.getValue();
            try {
                MigrationStatusReply.Decision decision = ownership.decision(e.getKey(), p.process.id, p.process.epoch);
                if (decision == MigrationStatusReply.Decision.DECISION_UNSPECIFIED) {
                    decision = NodeAgentGrpc.newBlockingStub(channels.get(p.source))
                            .withDeadlineAfter(5, TimeUnit.SECONDS)
                            .migrationStatus(MigrationRef.newBuilder()
                                    .setMigrationId(e.getKey())
                                    .setProcessId(p.process.id)
                                    .build())
                            .getDecision();
                }
                switch (decision) {
                    case DECISION_COMMITTED -> commit(e.getKey());
                    case DECISION_ABORTED -> abort(e.getKey());
                    default -> {} // still undecided: ask again later
                }
            } catch (RuntimeException ignored) {
                // the source or ZooKeeper is unreachable, or the migration just changed: ask again later
            }
        }
    }

    /**
     * One incoming migration stream. Its spans ({@link SpanNames#RECEIVE}, then {@link SpanNames#PREPARE})
     * are children of the stream's call and are never made current: gRPC may call each frame on another thread.
     */
    private final class Receiver implements StreamObserver<TransferFrame> {
        private final StreamObserver<TransferReply> replies;
        /** The stream's call, as the interceptor made it current when the stream opened. */
        private final Context call = Context.current();
        /** The phase open now (receive or prepare); null before the begin frame and after the end. Under the monitor. */
        private Span phase;

        private TransferBegin begin;
        private CompiledModule module;
        private Limits limits;
        private byte[] memory = new byte[0];
        private pm.agent.store.StagingFile staging;
        private StagingWriter stagingWriter;
        /** The output the source had retained before the freeze, then what the final frame adds. */
        private final List<LogChunk> logSoFar = new ArrayList<>();
        /** Where that output goes on disk, written as it arrives so that the downtime writes only the last of it. */
        private LogSegments history;
        /** The end of what {@link #history} holds. */
        private long historyEnd = Long.MIN_VALUE;
        /** Set by the receiving thread, or by the staging writer's thread when a sync fails. */
        private volatile boolean done;

        Receiver(StreamObserver<TransferReply> replies) {
            this.replies = replies;
        }

        @Override
        public void onNext(TransferFrame frame) {
            if (done) {
                return;
            }
            try {
                switch (frame.getFrameCase()) {
                    case BEGIN -> begin(frame.getBegin());
                    case MODULE -> {
                        requireBegun();
                        host.modules().store(frame.getModule().toByteArray());
                        module = host.modules().module(begin.getSpec());
                        reply(TransferReply.newBuilder().setCreditBytes(frame.getSerializedSize()));
                    }
                    case PAGES -> {
                        requireBegun();
                        pages(frame.getPages());
                        faults.hit(FaultPoints.TARGET_PRECOPY);
                        reply(TransferReply.newBuilder().setCreditBytes(frame.getSerializedSize()));
                    }
                    case LOG_TAIL -> {
                        requireBegun();
                        List<LogChunk> chunks = frame.getLogTail().getChunksList();
                        logSoFar.addAll(chunks);
                        for (LogChunk c : chunks) {
                            byte[] data = c.getData().toByteArray();
                            history.append(c.getStream(), c.getOffset(), data, 0, data.length);
                            historyEnd = c.getOffset() + data.length;
                        }
                        reply(TransferReply.newBuilder().setCreditBytes(frame.getSerializedSize()));
                    }
                    case SYNC -> {
                        requireBegun();
                        stagingWriter.sync().whenComplete((ok, failed) -> {
                            if (failed == null) {
                                reply(TransferReply.newBuilder().setSynced(true));
                            } else {
                                fail(failed);
                            }
                        });
                    }
                    case FINAL -> finish(frame.getFinal());
                    default -> throw new AgentException(AgentException.Reason.BAD_REQUEST, "empty migration frame");
                }
            } catch (RuntimeException e) {
                fail(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(new AgentException(AgentException.Reason.UNAVAILABLE, "interrupted while staging pages"));
            }
        }

        private synchronized void fail(Throwable e) {
            if (!done) {
                done = true;
                endPhase(e);
                discard();
                replies.onError(StatusMapping.toStatus(e));
            }
        }

        /** Drops what this stream staged, unless a process of that id lives here (its staging file is not ours). */
        private void discard() {
            if (stagingWriter != null) {
                stagingWriter.close();
            }
            if (begin != null && staging != null) {
                closeQuietly();
                if (host.find(begin.getProcessId()).isEmpty()) {
                    host.stores().deleteStaging(begin.getProcessId());
                    if (history != null) {
                        history.delete();
                    }
                }
            }
        }

        private void begin(TransferBegin b) {
            if (begin != null) {
                throw new AgentException(AgentException.Reason.BAD_REQUEST, "a migration begins once");
            }
            begin = b;
            synchronized (this) { // a failing sync ends it from the staging writer's thread
                phase = startPhase(SpanNames.RECEIVE);
            }
            if (host.find(b.getProcessId()).isPresent()) {
                throw new AgentException(
                        AgentException.Reason.WRONG_STATE,
                        "process " + b.getProcessId() + " already exists on this agent");
            }
            // Coming back here: the copy this node kept when it last handed the process over is superseded.
            host.handedOver().drop(b.getProcessId());
            limits = host.factory().limits(b.getSpec());
            host.factory()
                    .requireInputs(b.getSpec(), b.getFileInputsList()); // while the process still runs on the source
            staging = host.stores().createStaging(b.getProcessId());
            history = host.logs().incoming(b.getProcessId());
            stagingWriter = new StagingWriter(staging, stagingWriters, STAGING_BACKLOG_BYTES);
            boolean needModule = !host.modules().has(b.getModuleSha256().toByteArray());
            if (!needModule) {
                module = host.modules().module(b.getSpec());
            }
            reply(TransferReply.newBuilder()
                    .setCreditBytes(TransferWindow.BYTES)
                    .setNeedModule(needModule));
        }

        private void pages(PageRun run) throws InterruptedException {
            int pages = run.getMemoryPages();
            if (pages > limits.memoryPages() || pages > MemoryInstance.MAX_PAGES) {
                throw new pm.runtime.LimitExceededException(
                        "migrating memory of " + pages + " pages exceeds the limit of " + limits.memoryPages());
            }
            if ((long) pages * MemoryInstance.PAGE_SIZE > memory.length) {
                memory = Arrays.copyOf(memory, pages * MemoryInstance.PAGE_SIZE); // memory only grows
            }
            long end = (long) run.getFirst() + run.getCount();
            if (run.getCount() <= 0 || end > pages) {
                throw new AgentException(
                        AgentException.Reason.BAD_REQUEST,
                        "pages " + run.getFirst() + "+" + run.getCount() + " beyond " + pages + " pages");
            }
            int from = run.getFirst() * MemoryInstance.PAGE_SIZE;
            int length = run.getCount() * MemoryInstance.PAGE_SIZE;
            if (run.getData().isEmpty()) {
                Arrays.fill(memory, from, from + length, (byte) 0);
            } else if (run.getData().size() != length) {
                throw new AgentException(
                        AgentException.Reason.BAD_REQUEST,
                        "page run of " + run.getData().size() + " bytes for " + run.getCount() + " pages");
            } else {
                run.getData().copyTo(memory, from);
            }
            stagingWriter.write(memory, from, length);
        }

        private Span startPhase(String name) {
            return tracer.spanBuilder(name)
                    .setParent(call)
                    .setAttribute(SpanNames.PROCESS_ID, begin.getProcessId())
                    .setAttribute(SpanNames.MIGRATION_ID, begin.getMigrationId())
                    .setAttribute(SpanNames.EPOCH, begin.getEpoch())
                    .setAttribute(SpanNames.SOURCE_ADDRESS, begin.getSource())
                    .startSpan();
        }

        /** Ends the open phase; {@code failure} (if not null) marks it ERROR. */
        private synchronized void endPhase(Throwable failure) {
            if (phase != null) {
                if (failure != null) {
                    Spans.failed(phase, failure);
                }
                phase.end();
                phase = null;
            }
        }

        private void finish(TransferFinal f) {
            long t0 = System.nanoTime();
            requireBegun();
            endPhase(null);
            synchronized (this) {
                phase = startPhase(SpanNames.PREPARE).setAttribute(SpanNames.PAGES, f.getMemoryPages());
            }
            faults.hit(FaultPoints.TARGET_FINAL);
            if (module == null) {
                throw new AgentException(AgentException.Reason.BAD_REQUEST, "the module never arrived");
            }
            CompletableFuture<Void> pagesOnDisk = stagingWriter.sync(); // forced while the process is restored
            if ((long) f.getMemoryPages() * MemoryInstance.PAGE_SIZE != memory.length) {
                memory = Arrays.copyOf(memory, f.getMemoryPages() * MemoryInstance.PAGE_SIZE);
            }
            ExecutionState execution;
            WasiState wasi;
            try {
                execution = ExecutionState.parseFrom(f.getExecution());
                wasi = WasiState.parseFrom(f.getWasi());
            } catch (InvalidProtocolBufferException e) {
                throw new pm.runtime.StateFormatException("migration state corrupt: " + e.getMessage(), e);
            }
            logSoFar.addAll(f.getLogTailList());
            ProcessLog log = host.logs().arrived(history, historyEnd, logSoFar, f.getLogOffset());
            HostedProcess h = new HostedProcess(
                    begin.getProcessId(),
                    begin.getSpec(),
                    module,
                    log,
                    begin.getEpoch(),
                    ProcessState.PROCESS_STATE_PREPARED,
                    host.clustered());
            h.fileInputs = begin.getFileInputsList();
            TransferFinal staged = f.toBuilder()
                    .clearLogTail()
                    .build(); // the record stays small; a restart serves output from its offset
            h.lock.lock();
            try {
                host.adopt(h);
                try {
                    h.process = WasiProcess.restore(
                            module,
                            execution,
                            wasi,
                            pm.runtime.chan.Channels.decode(f.getChannels()),
                            memory,
                            host.factory().endpoints(h.spec, log),
                            limits,
                            host.factory().fsBytes(h.spec));
                    memory = null;
                    long restored = System.nanoTime();
                    if (begin.getSourceRetains()) {
                        h.staged = staged;
                        stagedBehind(h, staged, pagesOnDisk);
                        LOG.atInfo()
                                .addKeyValue("process", h.id)
                                .addKeyValue("migration", begin.getMigrationId())
                                .log(String.format(
                                        "migration prepared: restore %.1f ms; the source keeps its copy, staged pages"
                                                + " go to disk behind the answer",
                                        (restored - t0) / 1e6));
                    } else {
                        prepareDurably(h, f, staged, pagesOnDisk, t0, restored);
                    }
                    host.scheduleParked(h);
                } catch (IOException e) {
                    host.drop(h);
                    host.forget(h.id);
                    throw new UncheckedIOException("cannot stage the process", e);
                } catch (RuntimeException e) {
                    host.drop(h);
                    host.forget(h.id);
                    throw e;
                }
                prepared.put(begin.getMigrationId(), new Prepared(h, begin.getSource(), staged));
            } finally {
                h.lock.unlock();
            }
            metrics.migratedIn();
            faults.hit(FaultPoints.TARGET_PREPARED);
            synchronized (this) {
                endPhase(null);
                reply(TransferReply.newBuilder().setPrepared(true));
                done = true;
            }
        }

        /**
         * Standalone (the source decides and keeps nothing): durable before the answer — the staged pages,
         * then a record holding the final frame.
         */
        private void prepareDurably(
                HostedProcess h,
                TransferFinal f,
                TransferFinal staged,
                CompletableFuture<Void> pagesOnDisk,
                long t0,
                long restored)
                throws IOException {
            try {
                pagesOnDisk.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            } finally {
                stagingWriter.close();
            }
            staging.close();
            long forced = System.nanoTime();
            h.staged = staged;
            host.record(
                    h,
                    ProcessRecord.Disposition.DISPOSITION_PREPARED,
                    begin.getMigrationId(),
                    begin.getSource(),
                    f.getFrozen());
            LOG.atInfo()
                    .addKeyValue("process", h.id)
                    .addKeyValue("migration", begin.getMigrationId())
                    .log(String.format(
                            "migration prepared: restore %.1f ms, then staged pages forced %.1f ms, PREPARED record %.1f ms",
                            (restored - t0) / 1e6, (forced - restored) / 1e6, (System.nanoTime() - forced) / 1e6));
        }

        /**
         * In a cluster whose source keeps its copy: no PREPARED record at all (a restart before the commit's
         * OWNED record finds nothing, and recovery brings the process back from the source's copy); the
         * staged pages reach the disk on the background thread, ahead of the OWNED record that names them.
         */
        private void stagedBehind(HostedProcess h, TransferFinal staged, CompletableFuture<Void> pagesOnDisk) {
            StagingWriter writer = stagingWriter;
            pm.agent.store.StagingFile file = staging;
            host.later(() -> {
                try {
                    pagesOnDisk.join();
                } catch (CompletionException e) {
                    // Dropped meanwhile (an abort, a checkpoint that superseded it), or the disk failed: no record
                    // may name a staging file that is not whole (a restart would read its missing pages as zeros).
                    if (h.staged == staged) {
                        h.staged = null;
                        LOG.atWarn()
                                .addKeyValue("process", h.id)
                                .setCause(e.getCause())
                                .log("the staged pages of a migration in could not be written; its next checkpoint"
                                        + " is its first durable state here");
                    }
                } finally {
                    writer.close();
                    try {
                        file.close();
                    } catch (IOException e) {
                        LOG.debug("closing a staging file", e);
                    }
                }
            });
        }

        private void requireBegun() {
            if (begin == null) {
                throw new AgentException(
                        AgentException.Reason.BAD_REQUEST, "a migration stream starts with its begin frame");
            }
        }

        private synchronized void reply(TransferReply.Builder r) {
            if (!done) {
                replies.onNext(r.build());
            }
        }

        @Override
        public synchronized void onError(Throwable t) {
            if (!done) {
                done = true; // the source went away before the end: nothing is kept
                endPhase(t);
                discard();
            }
        }

        private void closeQuietly() {
            try {
                staging.close();
            } catch (IOException ignored) {
                // only dropping it
            }
        }

        @Override
        public void onCompleted() {
            synchronized (this) {
                if (!done) {
                    done = true; // ended without its final frame: nothing to keep
                    endPhase(new AgentException(
                            AgentException.Reason.BAD_REQUEST, "the stream ended without its final frame"));
                    discard();
                }
            }
            replies.onCompleted();
        }
    }
}
