package pm.agent.process;

import java.util.concurrent.locks.ReentrantLock;
import pm.agent.ownership.SessionLease;
import pm.runtime.interp.CompiledModule;
import pm.runtime.process.WasiProcess;
import pm.runtime.sched.ScheduledProcess;
import pm.v1.ProcessInfo;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;

/**
 * One process as this agent holds it: its spec, module, log, and — unless suspended — the live
 * process and its scheduler handle. Operations on it hold {@link #lock} (one at a time per
 * process). Its state is a small state machine changed only by the named transitions below, under
 * this object's monitor (the scheduler's worker ends it without {@link #lock}); the state is
 * volatile for readers. The same monitor guards the fence, so "may it run" is decided in one place:
 * the scheduled process is thawed only by {@link #permitRun}, and only while the user wants it
 * RUNNING and no fence holds it; per slice the scheduler also requires the node's ownership lease
 * ({@link SessionLease}) to be fresh.
 */
public final class HostedProcess {
    public final String id;
    public final ProcessSpec spec;
    public final CompiledModule module;
    public final ProcessLog log;
    public final ReentrantLock lock = new ReentrantLock();
    /** What of each sender's messages it cannot lose: what its durable checkpoint had accepted. */
    public final ChannelDurability durability;

    private volatile ProcessState state; // written under the monitor
    public volatile long epoch;
    public volatile WasiProcess process;
    public volatile ScheduledProcess handle;
    volatile String lastCheckpointId = "";
    public volatile int exitStatus = -1;
    public volatile String failure = "";
    /** An ended process brought back by a restart: its /data, read from disk when first asked for (under the lock). */
    pm.runtime.wasi.FileSystem endedFiles;
    /**
     * The inputs its files read from (set while it is parked: at a start or restore, a checkpoint, its
     * end; grown by a copy in): kept in its records and checkpoints so replicas and targets fetch them
     * and the input store keeps them.
     */
    public volatile java.util.List<pm.v1.BlobRef> fileInputs = java.util.List.of();
    /** While not null, its durable state is a migration's staging file and this final frame, until its next checkpoint. */
    public volatile pm.v1.TransferFinal staged;
    /**
     * Set while this node's ownership is in doubt (cut off from ZooKeeper): nothing lets it run until the
     * guard has read its record again, whatever operation held it when the fence came. Not its state:
     * a fenced RUNNING process is still RUNNING to its users. Guarded by the monitor.
     */
    private boolean fenced;

    public HostedProcess(
            String id,
            ProcessSpec spec,
            CompiledModule module,
            ProcessLog log,
            long epoch,
            ProcessState state,
            boolean clustered) {
        this.id = id;
        this.durability =
                new ChannelDurability(clustered && spec.getCheckpointPolicy().getIntervalMillis() > 0);
        this.spec = spec;
        this.module = module;
        this.log = log;
        this.epoch = epoch;
        this.state = state;
    }

    public ProcessState state() {
        return state;
    }

    public boolean is(ProcessState s) {
        return state == s;
    }

    public boolean hasEnded() {
        return state == ProcessState.PROCESS_STATE_EXITED || state == ProcessState.PROCESS_STATE_FAILED;
    }

    /**
     * Scheduled (started, restored, committed here by a migration, or kept after a migration out was
     * given up): RUNNING — and let run — or FROZEN, as asked.
     */
    public synchronized void scheduled(boolean frozen) {
        requireNot(
                "be scheduled",
                ProcessState.PROCESS_STATE_KILLED,
                ProcessState.PROCESS_STATE_EXITED,
                ProcessState.PROCESS_STATE_FAILED);
        state = frozen ? ProcessState.PROCESS_STATE_FROZEN : ProcessState.PROCESS_STATE_RUNNING;
        permitRun();
    }

    /** The user froze it; its handle stands still already. */
    synchronized void frozenByUser() {
        requireIn("freeze", ProcessState.PROCESS_STATE_RUNNING);
        state = ProcessState.PROCESS_STATE_FROZEN;
    }

    /** The user thawed it: RUNNING, and running unless fenced. */
    synchronized void thawedByUser() {
        requireIn("thaw", ProcessState.PROCESS_STATE_FROZEN);
        state = ProcessState.PROCESS_STATE_RUNNING;
        permitRun();
    }

    /** An operation that paused it (a checkpoint, a file copy) is done: it runs again if it may. */
    synchronized void pauseOver() {
        permitRun();
    }

    /** A migration out of this agent began: nothing but the migration's outcome moves it on. */
    public synchronized void migratingOut() {
        requireIn("migrate", ProcessState.PROCESS_STATE_RUNNING, ProcessState.PROCESS_STATE_FROZEN);
        state = ProcessState.PROCESS_STATE_MIGRATING;
    }

    /** Held frozen here as a migration's target until the migration is decided. */
    synchronized void preparedHere() {
        requireIn("be prepared", ProcessState.PROCESS_STATE_FROZEN, ProcessState.PROCESS_STATE_PREPARED);
        state = ProcessState.PROCESS_STATE_PREPARED;
    }

    /** Its live process was checkpointed and let go; a resume brings it back. */
    synchronized void suspended() {
        requireIn("suspend", ProcessState.PROCESS_STATE_RUNNING, ProcessState.PROCESS_STATE_FROZEN);
        state = ProcessState.PROCESS_STATE_SUSPENDED;
    }

    /** Killed, handed off to a migration's target, or a prepared copy dropped: this copy is gone for good. */
    public synchronized void gone() {
        state = ProcessState.PROCESS_STATE_KILLED;
    }

    /** The guest exited (or failed); set on the scheduler's worker. */
    synchronized void ended(boolean exited) {
        state = exited ? ProcessState.PROCESS_STATE_EXITED : ProcessState.PROCESS_STATE_FAILED;
    }

    /** Stops it from running until {@link #unfence}; the future completes once it stands still. Any thread. */
    public synchronized java.util.concurrent.Future<?> fence() {
        fenced = true;
        ScheduledProcess running = handle;
        return running == null ? java.util.concurrent.CompletableFuture.completedFuture(null) : running.freeze();
    }

    /** If it was fenced, it runs again now as its state says. */
    public synchronized void unfence() {
        if (fenced) {
            fenced = false;
            permitRun();
        }
    }

    /** The one place a scheduled process is let run. Under the monitor. */
    private void permitRun() {
        ScheduledProcess h = handle;
        if (state == ProcessState.PROCESS_STATE_RUNNING && !fenced && h != null) {
            h.thaw();
        }
    }

    private void requireIn(String action, ProcessState... allowed) {
        for (ProcessState s : allowed) {
            if (state == s) {
                return;
            }
        }
        throw new IllegalStateException("process " + id + " cannot " + action + " from " + state);
    }

    private void requireNot(String action, ProcessState... refused) {
        for (ProcessState s : refused) {
            if (state == s) {
                throw new IllegalStateException("process " + id + " cannot " + action + " from " + state);
            }
        }
    }

    public ProcessInfo info(String node) {
        WasiProcess p = process;
        ProcessInfo.Builder b = ProcessInfo.newBuilder()
                .setProcessId(id)
                .setState(state)
                .setModuleSha256(spec.getModuleSha256())
                .setExitStatus(exitStatus)
                .setFailure(failure)
                .setLastCheckpointId(lastCheckpointId)
                .putAllLabels(spec.getLabelsMap())
                .setEpoch(epoch)
                .setNode(node);
        if (p != null) {
            b.setInstructionsRetired(p.instructionsRetired())
                    .setOutputWaiting(p.session().outputWaiting())
                    .setMessagesAccepted(p.channels().acceptedCount())
                    .setInboxMessages(p.channels().inboxSize())
                    .setOutboxMessages(p.channels().outboxSize());
            if (p.memory() != null) {
                b.setMemoryPages(p.memory().pages());
            }
        }
        return b.build();
    }

    /** Its record as kept on disk, with {@code disposition}: spec, epoch, log offset, frozen, inputs, and a staged final frame. */
    pm.v1.ProcessRecord record(pm.v1.ProcessRecord.Disposition disposition) {
        pm.v1.ProcessRecord.Builder b = pm.v1.ProcessRecord.newBuilder()
                .setProcessId(id)
                .setSpec(spec)
                .setEpoch(epoch)
                .setDisposition(disposition)
                .setLogOffset(log.end())
                .setFrozen(is(ProcessState.PROCESS_STATE_FROZEN))
                .addAllFileInputs(fileInputs);
        pm.v1.TransferFinal s = staged;
        if (s != null) {
            b.setStaged(s);
        }
        return b.build();
    }
}
