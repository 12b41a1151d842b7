package pm.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import pm.agent.store.CheckpointRecord;
import pm.runtime.interp.CompiledModule;
import pm.runtime.process.WasiProcess;
import pm.runtime.sched.ProcessScheduler;
import pm.runtime.sched.ScheduledProcess;
import pm.v1.CheckpointInfo;
import pm.v1.LogChunk;
import pm.v1.ProcessInfo;
import pm.v1.ProcessRecord;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;
import pm.v1.ExecutionState;
import pm.v1.TransferFinal;
import pm.v1.WasiState;

/**
 * The processes of this agent and every operation on one: spawn, freeze, thaw, kill, checkpoint,
 * suspend, resume, export and import. Each operation holds the process's lock; the scheduler's
 * workers run the processes and report their end through {@link #ended}. Every process that
 * runs here has an OWNED record on disk (its spec) and, once it had one, a checkpoint, so a
 * restarted agent resumes it from the latest checkpoint or starts it again.
 */
final class ProcessHost {
    private static final long FREEZE_TIMEOUT_SECONDS = 30;

    private final AgentConfig config;
    private final ProcessScheduler scheduler;
    private final LocalStores stores;
    private final ProcessRecords records;
    private final ProcessFactory factory;
    private final pm.agent.store.SealedMessages<pm.v1.FileSystemState> endedFiles;
    private final EndedReplicas endedReplicas;
    private final AgentMetrics metrics;
    private final Executor background;
    private final java.util.concurrent.ExecutorService imageWriters = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "pm-agent-image-writer");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, HostedProcess> processes = new ConcurrentHashMap<>();
    private final ModuleCatalogue modules;
    /** Hears each process that exits or fails here (set once, after the cluster guard that needs this host exists). */
    private volatile Consumer<HostedProcess> endListener = h -> { };
    /** Hears each copy that runs here again on a decision read earlier (see {@link #runsAgain}); set once, like the above. */
    private volatile Consumer<HostedProcess> runsAgainListener = h -> { };

    /**
     * {@code outboxDoorbell}: rung when one of the processes sends a message; {@code inputs}: files and stdin by content;
     * {@code code}: where the modules' compiled code is made and kept.
     */
    ProcessHost(AgentConfig config, ProcessScheduler scheduler, LocalStores stores, ProcessRecords records, AgentMetrics metrics,
            Executor background, Runnable outboxDoorbell, InputResolver inputs, pm.runtime.interp.JitCache code) {
        this.config = config;
        this.scheduler = scheduler;
        this.stores = stores;
        this.records = records;
        this.factory = new ProcessFactory(config.defaultFsBytes(), outboxDoorbell, inputs, config.tier());
        this.modules = new ModuleCatalogue(stores, code, config.tier());
        this.endedFiles = new pm.agent.store.SealedMessages<>(config.dataDir().resolve("ended"), stores.keys(), "ended-files",
                pm.v1.FileSystemState.parser());
        this.endedReplicas = new EndedReplicas(config.dataDir(), stores);
        this.metrics = metrics;
        this.background = background;
    }

    String node() {
        return config.nodeName();
    }

    /** Whether this agent is part of a cluster (its processes recover from durable checkpoints on other nodes). */
    boolean clustered() {
        return config.cluster() != null;
    }

    int logRetainBytes() {
        return config.logRetainBytes();
    }

    ProcessFactory factory() {
        return factory;
    }

    /**
     * The log of a process this agent is about to host, its output from {@code startOffset} on kept on
     * disk too (what the disk held from there on is dropped: the process redoes it). Refused if the
     * process is hosted here already, before its history is touched.
     */
    ProcessLog newLog(String id, long startOffset) {
        return new ProcessLog(startOffset, config.logRetainBytes(), history(id));
    }

    /** The log of a process arriving from elsewhere: {@code tail} is the output it kept, ending at {@code endOffset}. */
    ProcessLog arrivingLog(String id, List<LogChunk> tail, long endOffset) {
        ProcessLog log = new ProcessLog(tail, endOffset, config.logRetainBytes(), history(id));
        log.flush(); // on disk before the staged state that resumes at endOffset is (see checkpoint)
        return log;
    }

    /** The output kept with the replica of {@code id} (held for another node), up to its checkpoint. */
    pm.agent.store.LogSegments replicaLog(String id) {
        return pm.agent.store.LogSegments.open(logDir(CheckpointReplicas.key(id)), config.logRetainBytes());
    }

    /** The replica's output becomes the process's own (an adoption), replacing whatever an earlier stay left. */
    private void takeReplicaLog(String id) {
        java.nio.file.Path from = logDir(CheckpointReplicas.key(id));
        java.nio.file.Path to = logDir(id);
        try {
            if (java.nio.file.Files.isDirectory(from)) {
                pm.agent.store.LogSegments.open(to, config.logRetainBytes()).delete();
                java.nio.file.Files.move(from, to, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot take the replica's output of " + id, e);
        }
    }

    private pm.agent.store.LogSegments history(String id) {
        if (processes.containsKey(id)) {
            throw new AgentException(AgentException.Reason.WRONG_STATE, "process " + id + " already exists on this agent");
        }
        return pm.agent.store.LogSegments.open(logDir(id), config.logRetainBytes());
    }

    /** Where a process's output is kept. */
    private java.nio.file.Path logDir(String id) {
        return config.dataDir().resolve("logs").resolve(fileName(id));
    }

    /** A process's name on disk: its id if that is a safe file name, else the id's UTF-8 in hex. */
    static String fileName(String id) {
        return id.matches("[A-Za-z0-9_-][A-Za-z0-9._-]*")
                ? id : "x" + java.util.HexFormat.of().formatHex(id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Keeps an ended process's /data and its ENDED record (how it ended, the inputs its files read from) on
     * disk, so they outlive a restart; called again after a copy into it. Under h's lock.
     */
    void keepEnded(HostedProcess h) {
        WasiProcess p = h.process;
        pm.runtime.wasi.FileSystem fs = p != null ? p.session().preopen(ProcessFactory.DATA_DIR) : h.endedFiles;
        if (fs != null) {
            endedFiles.put(fileName(h.id), fs.toState());
            h.fileInputs = ProcessFactory.refs(fs);
        }
        records.put(endedRecord(h));
    }

    private ProcessRecord endedRecord(HostedProcess h) {
        return record(h, ProcessRecord.Disposition.DISPOSITION_ENDED).toBuilder()
                .setEndState(h.state()).setExitStatus(h.exitStatus).setFailure(h.failure).build();
    }

    /** What another node keeps of an ended process held here so that it outlives this node: how it ended and its /data. Under h's lock. */
    pm.v1.EndedReplica endedCopy(HostedProcess h) {
        WasiProcess p = h.process;
        pm.runtime.wasi.FileSystem fs = p != null ? p.session().preopen(ProcessFactory.DATA_DIR) : endedFileSystem(h);
        pm.v1.EndedReplica.Builder b = pm.v1.EndedReplica.newBuilder();
        if (fs != null) {
            b.setFiles(fs.toState());
            h.fileInputs = ProcessFactory.refs(fs);
        }
        return b.setRecord(endedRecord(h)).build();
    }

    /** The copies of processes that ended on other nodes, held here so that they outlive their node. */
    EndedReplicas endedReplicas() {
        return endedReplicas;
    }

    /**
     * The ended copy of {@code id} held here becomes this agent's ended process (its node was lost):
     * its files, output and end as they were, under {@code epoch}; it never runs.
     */
    ProcessInfo adoptEndedReplica(String id, long epoch) {
        pm.v1.EndedReplica copy = endedReplicas.get(id).orElseThrow(() -> new AgentException(
                AgentException.Reason.NOT_FOUND, "no ended copy of process " + id + " on this node"));
        Optional<pm.v1.FileSystemState> files = endedReplicas.files(id);
        ProcessRecord r = copy.getRecord().toBuilder().setEpoch(epoch).build();
        CompiledModule module = module(r.getSpec());
        if (processes.containsKey(id)) {
            throw new AgentException(AgentException.Reason.WRONG_STATE, "process " + id + " already exists on this agent");
        }
        takeReplicaLog(id);
        ProcessLog log = ProcessLog.reopened(config.logRetainBytes(), history(id));
        HostedProcess h = new HostedProcess(id, r.getSpec(), module, log, epoch, r.getEndState(), clustered());
        h.exitStatus = r.getExitStatus();
        h.failure = r.getFailure();
        h.fileInputs = r.getFileInputsList();
        log.close();
        h.lock.lock();
        try {
            adopt(h);
            files.ifPresent(f -> endedFiles.put(fileName(id), f));
            records.put(endedRecord(h));
            endedReplicas.drop(id);
            return h.info(node());
        } finally {
            h.lock.unlock();
        }
    }

    /** The /data of an ended process this agent brought back after a restart; null if none was kept. Under h's lock. */
    pm.runtime.wasi.FileSystem endedFileSystem(HostedProcess h) {
        if (h.endedFiles == null) {
            h.endedFiles = endedFiles.get(fileName(h.id)).map(state -> pm.runtime.wasi.FileSystem.fromState(state,
                    () -> System.currentTimeMillis() * 1_000_000L, factory.fsBytes(h.spec), factory.blobs())).orElse(null);
        }
        return h.endedFiles;
    }

    Collection<HostedProcess> all() {
        return processes.values();
    }

    HostedProcess get(String id) {
        HostedProcess p = processes.get(id);
        if (p == null) {
            throw AgentException.notFound(id);
        }
        return p;
    }

    Optional<HostedProcess> find(String id) {
        return Optional.ofNullable(processes.get(id));
    }

    /** The modules this agent stores and their compiled forms. */
    ModuleCatalogue modules() {
        return modules;
    }

    private CompiledModule module(ProcessSpec spec) {
        return modules.module(spec);
    }

    /** The spec as kept on disk and in records: the module by reference only. */
    static ProcessSpec withoutModuleBytes(ProcessSpec spec, CompiledModule module) {
        return spec.toBuilder().clearModule().setModuleSha256(com.google.protobuf.ByteString.copyFrom(module.sha256())).build();
    }

    ProcessInfo spawn(String requestedId, ProcessSpec request, long epoch) {
        String id = requestedId.isEmpty() ? UUID.randomUUID().toString() : checkId(requestedId);
        CompiledModule module = module(request);
        ProcessSpec spec = withoutModuleBytes(request, module);
        ProcessLog log = newLog(id, 0);
        HostedProcess hosted = new HostedProcess(id, spec, module, log, epoch, ProcessState.PROCESS_STATE_RUNNING, clustered());
        hosted.lock.lock();
        try {
            if (processes.putIfAbsent(id, hosted) != null) {
                throw new AgentException(AgentException.Reason.WRONG_STATE, "process " + id + " already exists on this agent");
            }
            try {
                WasiProcess process = WasiProcess.start(module, factory.fresh(spec, log), factory.limits(spec), factory.fsBytes(spec));
                hosted.process = process;
                // No checkpoint yet: until its first one, the record's spec is how it restarts.
                records.put(record(hosted, ProcessRecord.Disposition.DISPOSITION_OWNED));
                schedule(hosted, process, false);
            } catch (RuntimeException e) {
                processes.remove(id);
                forget(id);
                throw e;
            }
            metrics.spawned();
            return hosted.info(node());
        } finally {
            hosted.lock.unlock();
        }
    }

    void onEnded(Consumer<HostedProcess> listener) {
        endListener = listener;
    }

    void onRunsAgain(Consumer<HostedProcess> listener) {
        runsAgainListener = listener;
    }

    /**
     * A copy was let run here (again) on what the ownership records said a moment ago: a commit, an
     * abort, a restart. A record change in between was not acted on (the copy was not running yet),
     * so the listener checks once more.
     */
    void runsAgain(HostedProcess h) {
        runsAgainListener.accept(h);
    }

    /** Called on a scheduler worker when a process exits or fails. */
    private void ended(HostedProcess hosted, ScheduledProcess handle) {
        WasiProcess p = handle.process();
        hosted.exitStatus = p.exitStatus();
        hosted.failure = p.failure() == null ? "" : p.failure();
        hosted.ended(p.state() == WasiProcess.State.EXITED);
        hosted.log.close();
        endListener.accept(hosted);
        background.execute(() -> {
            hosted.lock.lock();
            try {
                if (processes.get(hosted.id) == hosted) {
                    // Nothing will run again: its images go; its output and how it ended stay until it is removed.
                    stores.delete(hosted.id);
                    stores.deleteStaging(hosted.id);
                    hosted.staged = null;
                    keepEnded(hosted);
                }
            } finally {
                hosted.lock.unlock();
            }
        });
    }

    /** A process that ended here before a restart: how it ended, and its output from disk. */
    void adoptEnded(ProcessRecord r) {
        CompiledModule module = module(r.getSpec());
        ProcessLog log = ProcessLog.reopened(config.logRetainBytes(), history(r.getProcessId()));
        HostedProcess h = new HostedProcess(r.getProcessId(), r.getSpec(), module, log, r.getEpoch(), r.getEndState(), clustered());
        h.exitStatus = r.getExitStatus();
        h.failure = r.getFailure();
        h.fileInputs = r.getFileInputsList();
        log.close();
        adopt(h);
    }

    ProcessInfo freeze(String id) {
        HostedProcess h = get(id);
        h.lock.lock();
        try {
            requireState(h, "freeze", ProcessState.PROCESS_STATE_RUNNING, ProcessState.PROCESS_STATE_FROZEN);
            if (h.is(ProcessState.PROCESS_STATE_RUNNING)) {
                await(h.handle.freeze());
                if (h.is(ProcessState.PROCESS_STATE_RUNNING)) {
                    h.frozenByUser();
                    records.put(record(h, ProcessRecord.Disposition.DISPOSITION_OWNED));
                }
            }
            return h.info(node());
        } finally {
            h.lock.unlock();
        }
    }

    ProcessInfo thaw(String id) {
        HostedProcess h = get(id);
        h.lock.lock();
        try {
            requireState(h, "thaw", ProcessState.PROCESS_STATE_FROZEN, ProcessState.PROCESS_STATE_RUNNING);
            if (h.is(ProcessState.PROCESS_STATE_FROZEN)) {
                h.thawedByUser();
                records.put(record(h, ProcessRecord.Disposition.DISPOSITION_OWNED));
            }
            return h.info(node());
        } finally {
            h.lock.unlock();
        }
    }

    ProcessInfo kill(String id) {
        HostedProcess h = get(id);
        h.lock.lock();
        try {
            requireState(h, "kill", ProcessState.PROCESS_STATE_RUNNING, ProcessState.PROCESS_STATE_FROZEN,
                    ProcessState.PROCESS_STATE_SUSPENDED, ProcessState.PROCESS_STATE_EXITED, ProcessState.PROCESS_STATE_FAILED,
                    ProcessState.PROCESS_STATE_PREPARED);
            if (h.handle != null) {
                await(h.handle.remove());
            }
            h.gone();
            h.log.close();
            processes.remove(id, h);
            forget(id);
            metrics.killed();
            return h.info(node());
        } finally {
            h.lock.unlock();
        }
    }

    CheckpointInfo checkpoint(String id, boolean incremental) {
        HostedProcess h = get(id);
        h.lock.lock();
        try {
            requireState(h, "checkpoint", ProcessState.PROCESS_STATE_RUNNING, ProcessState.PROCESS_STATE_FROZEN);
            boolean wasRunning = h.is(ProcessState.PROCESS_STATE_RUNNING);
            if (wasRunning) {
                await(h.handle.freeze());
            }
            try {
                return checkpoint(h, incremental);
            } finally {
                if (wasRunning) {
                    h.pauseOver();
                }
            }
        } finally {
            h.lock.unlock();
        }
    }

    /** Writes the (parked) process into the checkpoint store; an increment when asked and its base is the store's latest. */
    CheckpointInfo checkpoint(HostedProcess h, boolean incremental) {
        long t0 = System.nanoTime();
        boolean increment = incremental && !h.lastCheckpointId.isEmpty()
                && stores.latest(h.id).map(r -> r.checkpointId().equals(h.lastCheckpointId)).orElse(false);
        WasiProcess process = h.process;
        // The image names the log offset it resumes at: what was printed before it must be on disk first,
        // or a restart from it would find the disk's log ending short and start the log over there.
        h.log.flush();
        h.fileInputs = ProcessFactory.fileInputs(process); // parked: what this image names
        // The image streams through a pipe into the store, written on another thread: a 1 GiB
        // process is never held twice. The process is parked, and the lock holder waits here.
        CheckpointRecord r = ImagePipe.pipe(imageWriters, out -> {
            if (increment) {
                process.writeIncrementalImage(out, false);
            } else {
                process.writeImage(out, false);
            }
        }, in -> stores.put(h.id, in, record(h, ProcessRecord.Disposition.DISPOSITION_OWNED).toByteArray()));
        if (!increment) {
            stores.retainLatestChain(h.id);
            stores.delete(CheckpointReplicas.key(h.id)); // a replica kept here before this node owned it
        }
        h.lastCheckpointId = r.checkpointId();
        h.durability.checkpointed(r.checkpointId(), process.channels().acceptedAtCapture());
        if (h.staged != null) {
            // The checkpoint supersedes the staging file: the record stops naming it, then it goes.
            h.staged = null;
            records.put(record(h, ProcessRecord.Disposition.DISPOSITION_OWNED));
            stores.deleteStaging(h.id);
        }
        long nanos = System.nanoTime() - t0;
        metrics.checkpointed(r.bytes(), nanos);
        return CheckpointInfo.newBuilder()
                .setProcessId(h.id)
                .setCheckpointId(r.checkpointId())
                .setBaseCheckpointId(r.baseCheckpointId() == null ? "" : r.baseCheckpointId())
                .setBytes(r.bytes())
                .setNewBytes(r.newBytes())
                .setNanos(nanos)
                .build();
    }

    CheckpointInfo suspend(String id) {
        HostedProcess h = get(id);
        h.lock.lock();
        try {
            requireState(h, "suspend", ProcessState.PROCESS_STATE_RUNNING, ProcessState.PROCESS_STATE_FROZEN);
            await(h.handle.freeze());
            // Sealed before the last checkpoint: a message accepted after it would be lost with this copy.
            h.process.channels().seal();
            CheckpointInfo info;
            try {
                info = checkpoint(h, true);
            } catch (RuntimeException e) {
                h.process.channels().unseal();
                throw e;
            }
            await(h.handle.remove());
            records.put(record(h, ProcessRecord.Disposition.DISPOSITION_SUSPENDED));
            h.suspended();
            h.handle = null;
            h.process = null;
            return info;
        } finally {
            h.lock.unlock();
        }
    }

    /** Brings a suspended process back from its latest checkpoint (or {@code checkpointId}'s chain). */
    ProcessInfo resume(String id, String checkpointId) {
        HostedProcess h = get(id);
        h.lock.lock();
        try {
            requireState(h, "resume", ProcessState.PROCESS_STATE_SUSPENDED);
            restoreFromStore(h, checkpointId, false);
            records.put(record(h, ProcessRecord.Disposition.DISPOSITION_OWNED));
            return h.info(node());
        } finally {
            h.lock.unlock();
        }
    }

    /**
     * Restores {@code h} from its latest checkpoint, or starts it again from its spec if it never had
     * one, and schedules it. The caller holds its lock.
     */
    void restoreLatestOrRestart(HostedProcess h, boolean frozen) {
        if (stores.latest(h.id).isPresent()) {
            restoreFromStore(h, "", frozen);
            return;
        }
        WasiProcess p = WasiProcess.start(h.module, factory.fresh(h.spec, h.log), factory.limits(h.spec), factory.fsBytes(h.spec));
        h.process = p;
        schedule(h, p, frozen);
    }

    /** Restores {@code h} from the store and schedules it, running or frozen. The caller holds its lock. */
    void restoreFromStore(HostedProcess h, String checkpointId, boolean frozen) {
        CheckpointRecord r = checkpointId.isEmpty()
                ? stores.latest(h.id).orElseThrow(() -> new AgentException(AgentException.Reason.NOT_FOUND,
                        "process " + h.id + " has no checkpoint on this agent"))
                : stores.list(h.id).stream().filter(c -> c.checkpointId().equals(checkpointId)).findFirst()
                        .orElseThrow(() -> new AgentException(AgentException.Reason.NOT_FOUND,
                                "process " + h.id + " has no checkpoint " + checkpointId));
        List<InputStream> chain = stores.open(h.id, r.checkpointId());
        try {
            WasiProcess p = WasiProcess.restore(h.module, chain, factory.endpoints(h.spec, h.log), factory.limits(h.spec),
                    factory.fsBytes(h.spec));
            h.process = p;
            h.lastCheckpointId = r.checkpointId();
            h.durability.checkpointed(r.checkpointId(), p.channels().acceptedAtCapture());
            schedule(h, p, frozen);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + r.checkpointId() + " of " + h.id, e);
        }
    }

    /**
     * A full image of a frozen or suspended process, written to {@code out}: sealed ({@link
     * pm.agent.store.crypto.SealedImages}) under the current image key if the agent has keys, so
     * the file an export ends in holds ciphertext only.
     */
    void export(String id, java.io.OutputStream out) throws IOException {
        HostedProcess h = get(id);
        if (!stores.keys().isNone()) {
            try (java.io.OutputStream sealed = pm.agent.store.crypto.SealedImages.sealing(out, stores.keys(), h.module.sha256())) {
                exportPlain(h, sealed);
            }
            return;
        }
        exportPlain(h, out);
    }

    private void exportPlain(HostedProcess h, java.io.OutputStream out) throws IOException {
        String id = h.id;
        h.lock.lock();
        try {
            requireState(h, "export", ProcessState.PROCESS_STATE_FROZEN, ProcessState.PROCESS_STATE_SUSPENDED);
            if (h.is(ProcessState.PROCESS_STATE_FROZEN)) {
                h.process.writeImage(out, false);
                h.lastCheckpointId = ""; // that image is not in the store: the next checkpoint is full
                return;
            }
            CheckpointRecord r = stores.latest(id).orElseThrow(() -> AgentException.notFound(id));
            WasiProcess p = WasiProcess.restore(h.module, stores.open(id, r.checkpointId()),
                    factory.endpoints(h.spec, h.log), factory.limits(h.spec), factory.fsBytes(h.spec));
            p.writeImage(out, false);
        } finally {
            h.lock.unlock();
        }
    }

    /**
     * A process from an exported image; it starts running here under a new epoch. Its log continues
     * {@code logTail} (output retained elsewhere, ending at {@code logOffset}); both empty: it starts at 0.
     */
    ProcessInfo importImage(String requestedId, ProcessSpec request, String imageProcessId, InputStream sealedOrPlain, long epoch,
            List<LogChunk> logTail, long logOffset) throws IOException {
        // Authenticated record by record while the restore reads it; a refusal comes before the process is scheduled.
        InputStream image = pm.agent.store.crypto.SealedImages.opening(sealedOrPlain, stores.keys());
        String id = checkId(requestedId.isEmpty() ? imageProcessId : requestedId);
        if (id.isEmpty()) {
            throw new AgentException(AgentException.Reason.BAD_REQUEST, "an import needs a process id");
        }
        CompiledModule module = module(request);
        ProcessSpec spec = withoutModuleBytes(request, module);
        ProcessLog log = arrivingLog(id, logTail, logOffset);
        HostedProcess h = new HostedProcess(id, spec, module, log, epoch, ProcessState.PROCESS_STATE_RUNNING, clustered());
        h.lock.lock();
        try {
            if (processes.putIfAbsent(id, h) != null) {
                throw new AgentException(AgentException.Reason.WRONG_STATE, "process " + id + " already exists on this agent");
            }
            try {
                WasiProcess p = WasiProcess.restore(module, image, factory.endpoints(spec, log), factory.limits(spec),
                        factory.fsBytes(spec));
                h.process = p;
                records.put(record(h, ProcessRecord.Disposition.DISPOSITION_OWNED));
                checkpoint(h, false);
                schedule(h, p, false);
                return h.info(node());
            } catch (IOException | RuntimeException e) {
                processes.remove(id, h);
                forget(id);
                throw e;
            }
        } finally {
            h.lock.unlock();
        }
    }

    /**
     * Makes the replica of {@code id} this agent's own process under {@code epoch}: its chain is put
     * under the process's own key (the chunks are here already, so only manifests are written), then
     * it runs (or stays frozen or suspended) from {@code checkpointId}, its output continuing at that
     * checkpoint's log offset. Recovery of a lost node's processes comes through here.
     */
    ProcessInfo adoptReplica(String id, String checkpointId, ProcessState state, long epoch) {
        if (state != ProcessState.PROCESS_STATE_RUNNING && state != ProcessState.PROCESS_STATE_FROZEN
                && state != ProcessState.PROCESS_STATE_SUSPENDED) {
            throw new AgentException(AgentException.Reason.BAD_REQUEST, "a process is adopted RUNNING, FROZEN or SUSPENDED");
        }
        String key = CheckpointReplicas.key(id);
        List<CheckpointRecord> held = stores.list(key);
        CheckpointRecord tip = held.stream().filter(r -> r.checkpointId().equals(checkpointId)).findFirst()
                .orElseThrow(() -> new AgentException(AgentException.Reason.NOT_FOUND,
                        "no replica of checkpoint " + checkpointId + " of process " + id + " on this node"));
        ProcessRecord attached;
        try {
            attached = ProcessRecord.parseFrom(tip.attachment());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new pm.runtime.StateFormatException("replica of " + id + " carries no readable record", e);
        }
        CompiledModule module = module(attached.getSpec());
        if (processes.containsKey(id)) {
            throw new AgentException(AgentException.Reason.WRONG_STATE, "process " + id + " already exists on this agent");
        }
        takeReplicaLog(id);
        HostedProcess h = new HostedProcess(id, attached.getSpec(), module,
                newLog(id, attached.getLogOffset()), epoch, ProcessState.PROCESS_STATE_SUSPENDED, clustered());
        h.fileInputs = attached.getFileInputsList();
        h.lock.lock();
        try {
            if (processes.putIfAbsent(id, h) != null) {
                throw new AgentException(AgentException.Reason.WRONG_STATE, "process " + id + " already exists on this agent");
            }
            try {
                stores.delete(id); // whatever an earlier ownership left under its own key
                List<InputStream> chain = stores.open(key, checkpointId);
                List<CheckpointRecord> links = chainRecords(held, tip);
                for (int i = 0; i < chain.size(); i++) {
                    stores.put(id, chain.get(i), links.get(i).attachment());
                }
                if (state == ProcessState.PROCESS_STATE_SUSPENDED) {
                    h.lastCheckpointId = checkpointId;
                    records.put(record(h, ProcessRecord.Disposition.DISPOSITION_SUSPENDED));
                } else {
                    restoreFromStore(h, checkpointId, state == ProcessState.PROCESS_STATE_FROZEN);
                    h.durability.named(checkpointId); // recovery starts from the record's durable checkpoint
                    records.put(record(h, ProcessRecord.Disposition.DISPOSITION_OWNED));
                }
            } catch (RuntimeException e) {
                processes.remove(id, h);
                if (h.handle != null) {
                    h.handle.remove();
                }
                forget(id);
                throw e;
            }
            stores.delete(key);
            return h.info(node());
        } finally {
            h.lock.unlock();
        }
    }

    private static List<CheckpointRecord> chainRecords(List<CheckpointRecord> all, CheckpointRecord tip) {
        List<CheckpointRecord> chain = new java.util.ArrayList<>();
        for (CheckpointRecord r = tip; r != null; ) {
            chain.add(0, r);
            String base = r.baseCheckpointId();
            r = r.isFull() ? null : all.stream().filter(c -> c.checkpointId().equals(base)).findFirst().orElse(null);
        }
        return chain;
    }

    /**
     * Hands {@code p} to the scheduler for {@code h}. It is added frozen and let run (by its state
     * machine) only once {@code h.handle} is set: whoever must wake it (a message delivered the moment
     * it parks in a receive) finds the handle.
     */
    private void schedule(HostedProcess h, WasiProcess p, boolean frozen) {
        addParked(h, p);
        h.scheduled(frozen);
    }

    /** Adds {@code p} to the scheduler for {@code h}, parked: its state decides later whether it runs. */
    private void addParked(HostedProcess h, WasiProcess p) {
        h.fileInputs = ProcessFactory.fileInputs(p); // added parked: its files are as the start or restore left them
        if (h.spec.getOutputBackpressure()) {
            h.log.holdUnread(() -> background.execute(() -> {
                ScheduledProcess waiting = h.handle;
                if (waiting != null) {
                    waiting.wake();
                }
            }));
        }
        h.handle = scheduler.add(p, true, handle -> ended(h, handle));
    }

    /** Registers a process that arrived by migration (or from disk after a restart); the caller holds no lock on it yet. */
    void adopt(HostedProcess h) {
        if (processes.putIfAbsent(h.id, h) != null) {
            throw new AgentException(AgentException.Reason.WRONG_STATE, "process " + h.id + " already exists on this agent");
        }
    }

    /** Hands a prepared migration's process to the scheduler, parked: it stays PREPARED, frozen, until the migration is decided. */
    void scheduleParked(HostedProcess h) {
        addParked(h, h.process);
    }

    void drop(HostedProcess h) {
        processes.remove(h.id, h);
    }

    void record(HostedProcess h, ProcessRecord.Disposition disposition, String migrationId, String peer, boolean frozen) {
        records.put(record(h, disposition).toBuilder().setMigrationId(migrationId).setPeer(peer).setFrozen(frozen).build());
    }

    /** Restores {@code h} from its staging file and the final frame kept in its record, and schedules it. */
    void restoreFromStaging(HostedProcess h, TransferFinal staged, boolean frozen) {
        try {
            h.process = WasiProcess.restore(h.module, ExecutionState.parseFrom(staged.getExecution()),
                    WasiState.parseFrom(staged.getWasi()), pm.runtime.chan.Channels.decode(staged.getChannels()),
                    stores.readStaging(h.id, staged.getMemoryPages()),
                    factory.endpoints(h.spec, h.log), factory.limits(h.spec), factory.fsBytes(h.spec));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new pm.runtime.StateFormatException("staged state of " + h.id + " is corrupt", e);
        }
        h.staged = staged;
        schedule(h, h.process, frozen);
    }

    /** Runs {@code task} on the agent's background thread (record writes and cleanups off a caller's path). */
    void later(Runnable task) {
        background.execute(task);
    }

    ProcessRecords records() {
        return records;
    }

    LocalStores stores() {
        return stores;
    }

    /** Deletes all this agent keeps of a process on disk. */
    void forget(String id) {
        endedFiles.delete(fileName(id));
        try {
            pm.agent.store.LogSegments.open(logDir(id), config.logRetainBytes()).delete();
        } catch (java.io.UncheckedIOException e) {
            // an unreadable log directory is left; the next spawn of this id starts it over
        }
        stores.delete(id);
        stores.deleteStaging(id);
        records.delete(id);
    }

    /** The log offset at which output resumes after a restore from checkpoint {@code r} (kept in its attachment). */
    static long logOffsetOf(CheckpointRecord r) {
        try {
            return ProcessRecord.parseFrom(r.attachment()).getLogOffset();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return 0;
        }
    }

    private ProcessRecord record(HostedProcess h, ProcessRecord.Disposition disposition) {
        ProcessRecord.Builder b = ProcessRecord.newBuilder()
                .setProcessId(h.id)
                .setSpec(h.spec)
                .setEpoch(h.epoch)
                .setDisposition(disposition)
                .setLogOffset(h.log.end())
                .setFrozen(h.is(ProcessState.PROCESS_STATE_FROZEN))
                .addAllFileInputs(h.fileInputs);
        TransferFinal staged = h.staged;
        if (staged != null) {
            b.setStaged(staged);
        }
        return b.build();
    }

    static void requireState(HostedProcess h, String action, ProcessState... allowed) {
        for (ProcessState s : allowed) {
            if (h.is(s)) {
                return;
            }
        }
        throw AgentException.wrongState(h.id, h.state().name().substring("PROCESS_STATE_".length()), action);
    }

    static <T> T await(java.util.concurrent.Future<T> f) {
        try {
            return f.get(FREEZE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException(AgentException.Reason.UNAVAILABLE, "interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IllegalStateException ended) {
                // The scheduler refuses to stop a process that already ended (it exited meanwhile).
                throw new AgentException(AgentException.Reason.WRONG_STATE, ended.getMessage().replace("process is ENDED", "the process has ended"), ended);
            }
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new AgentException(AgentException.Reason.UNAVAILABLE, "process did not stop within " + FREEZE_TIMEOUT_SECONDS + " s");
        }
    }

    private static String checkId(String id) {
        if (id.length() > 128 || id.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new AgentException(AgentException.Reason.BAD_REQUEST, "process id must be 1-128 printable characters");
        }
        return id;
    }

    /** Runs {@code action} for every process, e.g. to freeze all on shutdown. */
    void forEach(Consumer<HostedProcess> action) {
        processes.values().forEach(action);
    }
}
