package pm.agent.process;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import pm.agent.AgentConfig;
import pm.agent.AgentException;
import pm.agent.AgentMetrics;
import pm.agent.input.InputResolver;
import pm.agent.replica.EndedReplicas;
import pm.agent.store.CheckpointRecord;
import pm.agent.store.LocalStores;
import pm.runtime.interp.CompiledModule;
import pm.runtime.process.WasiProcess;
import pm.runtime.sched.ProcessScheduler;
import pm.runtime.sched.ScheduledProcess;
import pm.v1.CheckpointInfo;
import pm.v1.ExecutionState;
import pm.v1.ProcessInfo;
import pm.v1.ProcessRecord;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;
import pm.v1.TransferFinal;
import pm.v1.WasiState;

/**
 * The table of this agent's processes and their lifecycle: spawn, freeze, thaw, kill, checkpoint,
 * suspend, resume, and handing each to the scheduler. Its parts do the rest: {@link ProcessLogs}
 * (output on disk), {@link Checkpoints} (written and restored), {@link ProcessImages} (exports, imports,
 * adopted replicas), {@link EndedProcesses} (what outlives an ended process). Each operation holds
 * the process's lock; the scheduler's workers run the processes and report their end through
 * {@link #onEnd}. Every process that runs here has an OWNED record on disk (its spec) and, once it
 * had one, a checkpoint, so a restarted agent resumes it from the latest checkpoint or starts it again.
 */
public final class ProcessHost {
    private static final long FREEZE_TIMEOUT_SECONDS = 30;

    private final AgentConfig config;
    private final ProcessScheduler scheduler;
    private final LocalStores stores;
    private final ProcessRecords records;
    private final ProcessFactory factory;
    private final ProcessLogs logs;
    private final EndedProcesses ended;
    private final Checkpoints checkpoints;
    private final ProcessImages images;
    private final AgentMetrics metrics;
    private final Executor background;
    private final Map<String, HostedProcess> processes = new ConcurrentHashMap<>();
    private final ModuleCatalogue modules;
    private final HandedOverCopies handedOver;
    /** Hears each process that exits or fails here (set once, after the cluster guard that needs this host exists). */
    private volatile Consumer<HostedProcess> endListener = h -> {};
    /** Hears each copy that runs here again on a decision read earlier (see {@link #runsAgain}); set once, like the above. */
    private volatile Consumer<HostedProcess> runsAgainListener = h -> {};

    /**
     * {@code outboxDoorbell}: rung when one of the processes sends a message; {@code inputs}: files and stdin by content;
     * {@code code}: where the modules' compiled code is made and kept.
     */
    public ProcessHost(
            AgentConfig config,
            ProcessScheduler scheduler,
            LocalStores stores,
            ProcessRecords records,
            AgentMetrics metrics,
            Executor background,
            Runnable outboxDoorbell,
            InputResolver inputs,
            pm.runtime.interp.JitCache code) {
        this.config = config;
        this.scheduler = scheduler;
        this.stores = stores;
        this.records = records;
        this.factory = new ProcessFactory(config.defaultFsBytes(), outboxDoorbell, inputs, config.tier());
        this.modules = new ModuleCatalogue(stores, code, config.tier());
        this.metrics = metrics;
        this.background = background;
        this.handedOver = new HandedOverCopies(config.nodeName());
        // A copy kept after a migration out still writes to its log: its id is taken until the copy goes.
        this.logs = new ProcessLogs(
                config.dataDir().resolve("logs"),
                config.logRetainBytes(),
                id -> processes.containsKey(id) || handedOver.holds(id));
        this.ended = new EndedProcesses(
                this,
                new pm.agent.store.SealedMessages<>(
                        config.dataDir().resolve("ended"),
                        stores.keys(),
                        "ended-files",
                        pm.v1.FileSystemState.parser()),
                new EndedReplicas(config.dataDir(), stores));
        this.checkpoints = new Checkpoints(this, stores, metrics);
        this.images = new ProcessImages(this, stores, checkpoints);
    }

    public String node() {
        return config.nodeName();
    }

    /** Whether this agent is part of a cluster (its processes recover from durable checkpoints on other nodes). */
    public boolean clustered() {
        return config.cluster() != null;
    }

    /** The processes handed over by migrations out of here, kept while their records name them. */
    public HandedOverCopies handedOver() {
        return handedOver;
    }

    public ProcessFactory factory() {
        return factory;
    }

    /** Where each process's output is kept on disk. */
    public ProcessLogs logs() {
        return logs;
    }

    /** What is kept of processes that ended, here and for other nodes. */
    public EndedProcesses ended() {
        return ended;
    }

    /** Checkpoints written and restored. */
    Checkpoints checkpoints() {
        return checkpoints;
    }

    /** Exports, imports and adopted replicas. */
    public ProcessImages images() {
        return images;
    }

    public Collection<HostedProcess> all() {
        return processes.values();
    }

    public HostedProcess get(String id) {
        HostedProcess p = processes.get(id);
        if (p == null) {
            throw AgentException.notFound(id);
        }
        return p;
    }

    public Optional<HostedProcess> find(String id) {
        return Optional.ofNullable(processes.get(id));
    }

    /** The modules this agent stores and their compiled forms. */
    public ModuleCatalogue modules() {
        return modules;
    }

    private CompiledModule module(ProcessSpec spec) {
        return modules.module(spec);
    }

    /** The spec as kept on disk and in records: the module by reference only. */
    static ProcessSpec withoutModuleBytes(ProcessSpec spec, CompiledModule module) {
        return spec.toBuilder()
                .clearModule()
                .setModuleSha256(com.google.protobuf.ByteString.copyFrom(module.sha256()))
                .build();
    }

    public ProcessInfo spawn(String requestedId, ProcessSpec request, long epoch) {
        String id = requestedId.isEmpty() ? UUID.randomUUID().toString() : checkId(requestedId);
        CompiledModule module = module(request);
        ProcessSpec spec = withoutModuleBytes(request, module);
        ProcessLog log = logs.starting(id, 0);
        HostedProcess hosted =
                new HostedProcess(id, spec, module, log, epoch, ProcessState.PROCESS_STATE_RUNNING, clustered());
        hosted.lock.lock();
        try {
            if (processes.putIfAbsent(id, hosted) != null) {
                throw new AgentException(
                        AgentException.Reason.WRONG_STATE, "process " + id + " already exists on this agent");
            }
            try {
                WasiProcess process = WasiProcess.start(
                        module, factory.fresh(spec, log), factory.limits(spec), factory.fsBytes(spec));
                hosted.process = process;
                // No checkpoint yet: until its first one, the record's spec is how it restarts.
                records.put(hosted.record(ProcessRecord.Disposition.DISPOSITION_OWNED));
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

    public void onEnded(Consumer<HostedProcess> listener) {
        endListener = listener;
    }

    public void onRunsAgain(Consumer<HostedProcess> listener) {
        runsAgainListener = listener;
    }

    /**
     * A copy was let run here (again) on what the ownership records said a moment ago: a commit, an
     * abort, a restart. A record change in between was not acted on (the copy was not running yet),
     * so the listener checks once more.
     */
    public void runsAgain(HostedProcess h) {
        runsAgainListener.accept(h);
    }

    /** Called on a scheduler worker when a process exits or fails. */
    private void onEnd(HostedProcess hosted, ScheduledProcess handle) {
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
                    ended.keep(hosted);
                }
            } finally {
                hosted.lock.unlock();
            }
        });
    }

    public ProcessInfo freeze(String id) {
        HostedProcess h = get(id);
        h.lock.lock();
        try {
            requireState(h, "freeze", ProcessState.PROCESS_STATE_RUNNING, ProcessState.PROCESS_STATE_FROZEN);
            if (h.is(ProcessState.PROCESS_STATE_RUNNING)) {
                await(h.handle.freeze());
                if (h.is(ProcessState.PROCESS_STATE_RUNNING)) {
                    h.frozenByUser();
                    records.put(h.record(ProcessRecord.Disposition.DISPOSITION_OWNED));
                }
            }
            return h.info(node());
        } finally {
            h.lock.unlock();
        }
    }

    public ProcessInfo thaw(String id) {
        HostedProcess h = get(id);
        h.lock.lock();
        try {
            requireState(h, "thaw", ProcessState.PROCESS_STATE_FROZEN, ProcessState.PROCESS_STATE_RUNNING);
            if (h.is(ProcessState.PROCESS_STATE_FROZEN)) {
                h.thawedByUser();
                records.put(h.record(ProcessRecord.Disposition.DISPOSITION_OWNED));
            }
            return h.info(node());
        } finally {
            h.lock.unlock();
        }
    }

    public ProcessInfo kill(String id) {
        HostedProcess h = get(id);
        h.lock.lock();
        try {
            requireState(
                    h,
                    "kill",
                    ProcessState.PROCESS_STATE_RUNNING,
                    ProcessState.PROCESS_STATE_FROZEN,
                    ProcessState.PROCESS_STATE_SUSPENDED,
                    ProcessState.PROCESS_STATE_EXITED,
                    ProcessState.PROCESS_STATE_FAILED,
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

    public CheckpointInfo checkpoint(String id, boolean incremental) {
        HostedProcess h = get(id);
        h.lock.lock();
        try {
            requireState(h, "checkpoint", ProcessState.PROCESS_STATE_RUNNING, ProcessState.PROCESS_STATE_FROZEN);
            boolean wasRunning = h.is(ProcessState.PROCESS_STATE_RUNNING);
            if (wasRunning) {
                await(h.handle.freeze());
            }
            try {
                return checkpoints.write(h, incremental);
            } finally {
                if (wasRunning) {
                    h.pauseOver();
                }
            }
        } finally {
            h.lock.unlock();
        }
    }

    public CheckpointInfo suspend(String id) {
        HostedProcess h = get(id);
        h.lock.lock();
        try {
            requireState(h, "suspend", ProcessState.PROCESS_STATE_RUNNING, ProcessState.PROCESS_STATE_FROZEN);
            await(h.handle.freeze());
            // Sealed before the last checkpoint: a message accepted after it would be lost with this copy.
            h.process.channels().seal();
            CheckpointInfo info;
            try {
                info = checkpoints.write(h, true);
            } catch (RuntimeException e) {
                h.process.channels().unseal();
                throw e;
            }
            await(h.handle.remove());
            records.put(h.record(ProcessRecord.Disposition.DISPOSITION_SUSPENDED));
            h.suspended();
            h.handle = null;
            h.process = null;
            return info;
        } finally {
            h.lock.unlock();
        }
    }

    /** Brings a suspended process back from its latest checkpoint (or {@code checkpointId}'s chain). */
    public ProcessInfo resume(String id, String checkpointId) {
        HostedProcess h = get(id);
        h.lock.lock();
        try {
            requireState(h, "resume", ProcessState.PROCESS_STATE_SUSPENDED);
            checkpoints.restore(h, checkpointId, false);
            records.put(h.record(ProcessRecord.Disposition.DISPOSITION_OWNED));
            return h.info(node());
        } finally {
            h.lock.unlock();
        }
    }

    /**
     * Hands {@code p} to the scheduler for {@code h}. It is added frozen and let run (by its state
     * machine) only once {@code h.handle} is set: whoever must wake it (a message delivered the moment
     * it parks in a receive) finds the handle.
     */
    void schedule(HostedProcess h, WasiProcess p, boolean frozen) {
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
        h.handle = scheduler.add(p, true, handle -> onEnd(h, handle));
        h.handle.limitFuelPerSecond(h.spec.getLimits().getFuelPerSecond());
    }

    /** Registers a process that arrived by migration (or from disk after a restart); the caller holds no lock on it yet. */
    public void adopt(HostedProcess h) {
        if (processes.putIfAbsent(h.id, h) != null) {
            throw new AgentException(
                    AgentException.Reason.WRONG_STATE, "process " + h.id + " already exists on this agent");
        }
    }

    /** Hands a prepared migration's process to the scheduler, parked: it stays PREPARED, frozen, until the migration is decided. */
    public void scheduleParked(HostedProcess h) {
        addParked(h, h.process);
    }

    public void drop(HostedProcess h) {
        processes.remove(h.id, h);
    }

    public void record(
            HostedProcess h, ProcessRecord.Disposition disposition, String migrationId, String peer, boolean frozen) {
        records.put(h.record(disposition).toBuilder()
                .setMigrationId(migrationId)
                .setPeer(peer)
                .setFrozen(frozen)
                .build());
    }

    /** Restores {@code h} from its staging file and the final frame kept in its record, and schedules it. */
    void restoreFromStaging(HostedProcess h, TransferFinal staged, boolean frozen) {
        try {
            h.process = WasiProcess.restore(
                    h.module,
                    ExecutionState.parseFrom(staged.getExecution()),
                    WasiState.parseFrom(staged.getWasi()),
                    pm.runtime.chan.Channels.decode(staged.getChannels()),
                    stores.readStaging(h.id, staged.getMemoryPages()),
                    factory.endpoints(h.spec, h.log),
                    factory.limits(h.spec),
                    factory.fsBytes(h.spec));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new pm.runtime.StateFormatException("staged state of " + h.id + " is corrupt", e);
        }
        h.staged = staged;
        schedule(h, h.process, frozen);
    }

    /** Runs {@code task} on the agent's background thread (record writes and cleanups off a caller's path). */
    public void later(Runnable task) {
        // The trace of the call that asked for it goes on in the background (a migration's OWNED record, say).
        background.execute(io.opentelemetry.context.Context.current().wrap(task));
    }

    public ProcessRecords records() {
        return records;
    }

    public LocalStores stores() {
        return stores;
    }

    /** Deletes all this agent keeps of a process on disk. */
    public void forget(String id) {
        ended.forget(id);
        logs.delete(id);
        stores.delete(id);
        stores.deleteStaging(id);
        records.delete(id);
    }

    /** The log offset at which output resumes after a restore from checkpoint {@code r} (kept in its attachment). */
    public static long logOffsetOf(CheckpointRecord r) {
        try {
            return ProcessRecord.parseFrom(r.attachment()).getLogOffset();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return 0;
        }
    }

    public static void requireState(HostedProcess h, String action, ProcessState... allowed) {
        for (ProcessState s : allowed) {
            if (h.is(s)) {
                return;
            }
        }
        throw AgentException.wrongState(h.id, h.state().name().substring("PROCESS_STATE_".length()), action);
    }

    public static <T> T await(java.util.concurrent.Future<T> f) {
        try {
            return f.get(FREEZE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException(AgentException.Reason.UNAVAILABLE, "interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IllegalStateException ended) {
                // The scheduler refuses to stop a process that already ended (it exited meanwhile).
                throw new AgentException(
                        AgentException.Reason.WRONG_STATE,
                        ended.getMessage().replace("process is ENDED", "the process has ended"),
                        ended);
            }
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new AgentException(
                    AgentException.Reason.UNAVAILABLE, "process did not stop within " + FREEZE_TIMEOUT_SECONDS + " s");
        }
    }

    static String checkId(String id) {
        if (id.length() > 128 || id.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new AgentException(
                    AgentException.Reason.BAD_REQUEST, "process id must be 1-128 printable characters");
        }
        return id;
    }

    /** Runs {@code action} for every process, e.g. to freeze all on shutdown. */
    public void forEach(Consumer<HostedProcess> action) {
        processes.values().forEach(action);
    }
}
