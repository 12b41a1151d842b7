package pm.agent;

import java.util.concurrent.locks.ReentrantLock;
import pm.runtime.interp.CompiledModule;
import pm.runtime.process.WasiProcess;
import pm.runtime.sched.ScheduledProcess;
import pm.v1.ProcessInfo;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;

/**
 * One process as this agent holds it: its spec, module, log, and — unless suspended — the live
 * process and its scheduler handle. Operations on it hold {@link #lock} (one at a time per
 * process); {@code state} and the end fields are volatile because the scheduler's worker sets them
 * when the process ends, without the lock.
 */
final class HostedProcess {
    final String id;
    final ProcessSpec spec;
    final CompiledModule module;
    final ProcessLog log;
    final ReentrantLock lock = new ReentrantLock();
    /** What of each sender's messages it cannot lose: what its durable checkpoint had accepted. */
    final ChannelDurability durability;

    volatile ProcessState state;
    volatile long epoch;
    volatile WasiProcess process;
    volatile ScheduledProcess handle;
    volatile String lastCheckpointId = "";
    volatile int exitStatus = -1;
    volatile String failure = "";
    /** An ended process brought back by a restart: its /data, read from disk when first asked for (under the lock). */
    pm.runtime.wasi.FileSystem endedFiles;
    /**
     * The inputs its files read from (set while it is parked: at a start or restore, a checkpoint, its
     * end; grown by a copy in): kept in its records and checkpoints so replicas and targets fetch them
     * and the input store keeps them.
     */
    volatile java.util.List<pm.v1.BlobRef> fileInputs = java.util.List.of();
    /** While not null, its durable state is a migration's staging file and this final frame, until its next checkpoint. */
    volatile pm.v1.TransferFinal staged;
    /**
     * Set while this node's ownership is in doubt (cut off from ZooKeeper): nothing lets it run until the
     * guard has read its record again, whatever operation held it when the fence came. Not its state:
     * a fenced RUNNING process is still RUNNING to its users.
     */
    private volatile boolean fenced;

    HostedProcess(String id, ProcessSpec spec, CompiledModule module, ProcessLog log, long epoch, ProcessState state,
            boolean clustered) {
        this.id = id;
        this.durability = new ChannelDurability(clustered && spec.getCheckpointPolicy().getIntervalMillis() > 0);
        this.spec = spec;
        this.module = module;
        this.log = log;
        this.epoch = epoch;
        this.state = state;
    }

    /** Lets the scheduled process run unless it is fenced; a fence racing this call wins. */
    void letRun() {
        if (fenced) {
            return;
        }
        handle.thaw();
        if (fenced) {
            handle.freeze(); // the fence came between the check and the thaw
        }
    }

    /** Stops it from running until {@link #unfence}; the future completes once it stands still. Any thread. */
    java.util.concurrent.Future<?> fence() {
        fenced = true;
        ScheduledProcess running = handle;
        return running == null ? java.util.concurrent.CompletableFuture.completedFuture(null) : running.freeze();
    }

    /** If it was fenced, it runs again now as its state says. Under the lock. */
    void unfence() {
        if (fenced) {
            fenced = false;
            if (state == ProcessState.PROCESS_STATE_RUNNING && handle != null) {
                handle.thaw();
            }
        }
    }

    ProcessInfo info(String node) {
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
            b.setInstructionsRetired(p.instructionsRetired()).setOutputWaiting(p.session().outputWaiting())
                    .setMessagesAccepted(p.channels().acceptedCount()).setInboxMessages(p.channels().inboxSize())
                    .setOutboxMessages(p.channels().outboxSize());
            if (p.memory() != null) {
                b.setMemoryPages(p.memory().pages());
            }
        }
        return b.build();
    }
}
