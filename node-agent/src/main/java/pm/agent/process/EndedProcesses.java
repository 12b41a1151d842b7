package pm.agent.process;

import java.util.Optional;
import pm.agent.AgentException;
import pm.agent.replica.EndedReplicas;
import pm.agent.store.SealedMessages;
import pm.runtime.interp.CompiledModule;
import pm.runtime.process.WasiProcess;
import pm.runtime.wasi.FileSystem;
import pm.v1.EndedReplica;
import pm.v1.FileSystemState;
import pm.v1.ProcessInfo;
import pm.v1.ProcessRecord;

/**
 * What this agent keeps of processes that ended, so it outlives a restart or the node: each one's
 * /data and ENDED record on disk, the copies of other nodes' ended processes ({@link EndedReplicas}),
 * and the adoption of either as a hosted process that never runs again. Methods marked so run under
 * the process's lock; the stores underneath are safe for any thread.
 */
public final class EndedProcesses {
    private final ProcessHost host;
    private final SealedMessages<FileSystemState> files;
    private final EndedReplicas replicas;

    EndedProcesses(ProcessHost host, SealedMessages<FileSystemState> files, EndedReplicas replicas) {
        this.host = host;
        this.files = files;
        this.replicas = replicas;
    }

    /** Keeps an ended process's /data and its ENDED record (how it ended, the inputs its files read from); again after a copy into it. Under h's lock. */
    void keep(HostedProcess h) {
        WasiProcess p = h.process;
        FileSystem fs = p != null ? p.session().preopen(ProcessFactory.DATA_DIR) : h.endedFiles;
        if (fs != null) {
            files.put(ProcessLogs.fileName(h.id), fs.toState());
            h.fileInputs = ProcessFactory.refs(fs);
        }
        host.records().put(record(h));
    }

    /** What another node keeps of an ended process held here so that it outlives this node: how it ended and its /data. Under h's lock. */
    public EndedReplica copy(HostedProcess h) {
        WasiProcess p = h.process;
        FileSystem fs = p != null ? p.session().preopen(ProcessFactory.DATA_DIR) : fileSystem(h);
        EndedReplica.Builder b = EndedReplica.newBuilder();
        if (fs != null) {
            b.setFiles(fs.toState());
            h.fileInputs = ProcessFactory.refs(fs);
        }
        return b.setRecord(record(h)).build();
    }

    /** The copies of processes that ended on other nodes, held here so that they outlive their node. */
    public EndedReplicas replicas() {
        return replicas;
    }

    /**
     * The ended copy of {@code id} held here becomes this agent's ended process (its node was lost):
     * its files, output and end as they were, under {@code epoch}; it never runs.
     */
    public ProcessInfo adoptReplica(String id, long epoch) {
        EndedReplica copy = replicas.get(id)
                .orElseThrow(() -> new AgentException(
                        AgentException.Reason.NOT_FOUND, "no ended copy of process " + id + " on this node"));
        Optional<FileSystemState> replicaFiles = replicas.files(id);
        ProcessRecord r = copy.getRecord().toBuilder().setEpoch(epoch).build();
        CompiledModule module = host.modules().module(r.getSpec());
        if (host.find(id).isPresent()) {
            throw new AgentException(
                    AgentException.Reason.WRONG_STATE, "process " + id + " already exists on this agent");
        }
        host.logs().takeReplica(id);
        HostedProcess h = ended(r, module, epoch);
        h.lock.lock();
        try {
            host.adopt(h);
            replicaFiles.ifPresent(f -> files.put(ProcessLogs.fileName(id), f));
            host.records().put(record(h));
            replicas.drop(id);
            return h.info(host.node());
        } finally {
            h.lock.unlock();
        }
    }

    /** A process that ended here before a restart: how it ended, and its output from disk. */
    void adopt(ProcessRecord r) {
        host.adopt(ended(r, host.modules().module(r.getSpec()), r.getEpoch()));
    }

    /** The /data of an ended process this agent brought back after a restart; null if none was kept. Under h's lock. */
    FileSystem fileSystem(HostedProcess h) {
        if (h.endedFiles == null) {
            h.endedFiles = files.get(ProcessLogs.fileName(h.id))
                    .map(state -> FileSystem.fromState(
                            state,
                            () -> System.currentTimeMillis() * 1_000_000L,
                            host.factory().fsBytes(h.spec),
                            host.factory().blobs()))
                    .orElse(null);
        }
        return h.endedFiles;
    }

    /** Deletes the /data kept for {@code id}. */
    void forget(String id) {
        files.delete(ProcessLogs.fileName(id));
    }

    private HostedProcess ended(ProcessRecord r, CompiledModule module, long epoch) {
        ProcessLog log = host.logs().reopened(r.getProcessId());
        HostedProcess h =
                new HostedProcess(r.getProcessId(), r.getSpec(), module, log, epoch, r.getEndState(), host.clustered());
        h.exitStatus = r.getExitStatus();
        h.failure = r.getFailure();
        h.fileInputs = r.getFileInputsList();
        log.close();
        return h;
    }

    private static ProcessRecord record(HostedProcess h) {
        return h.record(ProcessRecord.Disposition.DISPOSITION_ENDED).toBuilder()
                .setEndState(h.state())
                .setExitStatus(h.exitStatus)
                .setFailure(h.failure)
                .build();
    }
}
