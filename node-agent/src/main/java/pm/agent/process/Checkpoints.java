package pm.agent.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import pm.agent.AgentException;
import pm.agent.AgentMetrics;
import pm.agent.replica.CheckpointReplicas;
import pm.agent.store.CheckpointRecord;
import pm.agent.store.LocalStores;
import pm.runtime.process.WasiProcess;
import pm.v1.CheckpointInfo;
import pm.v1.ProcessRecord;

/**
 * Checkpoints of the processes hosted here: a parked process written into the checkpoint store (full
 * or an increment), and a process brought back from the store. Every method runs under the process's
 * lock, with the process parked; the image itself is written on an image-writer thread of this class.
 */
final class Checkpoints {
    private final ProcessHost host;
    private final LocalStores stores;
    private final AgentMetrics metrics;
    private final ExecutorService imageWriters = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "pm-agent-image-writer");
        t.setDaemon(true);
        return t;
    });

    Checkpoints(ProcessHost host, LocalStores stores, AgentMetrics metrics) {
        this.host = host;
        this.stores = stores;
        this.metrics = metrics;
    }

    /** Writes the (parked) process into the checkpoint store; an increment when asked and its base is the store's latest. */
    CheckpointInfo write(HostedProcess h, boolean incremental) {
        long t0 = System.nanoTime();
        boolean increment = incremental
                && !h.lastCheckpointId.isEmpty()
                && stores.latest(h.id)
                        .map(r -> r.checkpointId().equals(h.lastCheckpointId))
                        .orElse(false);
        WasiProcess process = h.process;
        // The image names the log offset it resumes at: what was printed before it must be on disk first,
        // or a restart from it would find the disk's log ending short and start the log over there.
        h.log.flush();
        h.fileInputs = ProcessFactory.fileInputs(process); // parked: what this image names
        // The image streams through a pipe into the store, written on another thread: a 1 GiB
        // process is never held twice. The process is parked, and the lock holder waits here.
        CheckpointRecord r = ImagePipe.pipe(
                imageWriters,
                out -> {
                    if (increment) {
                        process.writeIncrementalImage(out, false);
                    } else {
                        process.writeImage(out, false);
                    }
                },
                in -> stores.put(
                        h.id,
                        in,
                        h.record(ProcessRecord.Disposition.DISPOSITION_OWNED).toByteArray()));
        if (!increment) {
            stores.retainLatestChain(h.id);
            stores.delete(CheckpointReplicas.key(h.id)); // a replica kept here before this node owned it
        }
        h.lastCheckpointId = r.checkpointId();
        h.durability.checkpointed(r.checkpointId(), process.channels().acceptedAtCapture());
        if (h.staged != null) {
            // The checkpoint supersedes the staging file: the record stops naming it, then it goes.
            h.staged = null;
            host.records().put(h.record(ProcessRecord.Disposition.DISPOSITION_OWNED));
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

    /** Restores {@code h} from its latest checkpoint, or starts it again from its spec if it never had one, and schedules it. */
    void restoreLatestOrRestart(HostedProcess h, boolean frozen) {
        if (stores.latest(h.id).isPresent()) {
            restore(h, "", frozen);
            return;
        }
        ProcessFactory factory = host.factory();
        WasiProcess p = WasiProcess.start(
                h.module, factory.fresh(h.spec, h.log), factory.limits(h.spec), factory.fsBytes(h.spec));
        h.process = p;
        host.schedule(h, p, frozen);
    }

    /** Restores {@code h} from the store (its latest checkpoint, or {@code checkpointId}'s chain) and schedules it, running or frozen. */
    void restore(HostedProcess h, String checkpointId, boolean frozen) {
        CheckpointRecord r = checkpointId.isEmpty()
                ? stores.latest(h.id)
                        .orElseThrow(() -> new AgentException(
                                AgentException.Reason.NOT_FOUND,
                                "process " + h.id + " has no checkpoint on this agent"))
                : stores.list(h.id).stream()
                        .filter(c -> c.checkpointId().equals(checkpointId))
                        .findFirst()
                        .orElseThrow(() -> new AgentException(
                                AgentException.Reason.NOT_FOUND,
                                "process " + h.id + " has no checkpoint " + checkpointId));
        List<InputStream> chain = stores.open(h.id, r.checkpointId());
        ProcessFactory factory = host.factory();
        try {
            WasiProcess p = WasiProcess.restore(
                    h.module, chain, factory.endpoints(h.spec, h.log), factory.limits(h.spec), factory.fsBytes(h.spec));
            h.process = p;
            h.lastCheckpointId = r.checkpointId();
            h.durability.checkpointed(r.checkpointId(), p.channels().acceptedAtCapture());
            host.schedule(h, p, frozen);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + r.checkpointId() + " of " + h.id, e);
        }
    }
}
