package pm.agent.replica;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import pm.agent.process.ProcessLogs;
import pm.agent.store.LocalStores;
import pm.agent.store.SealedMessages;
import pm.v1.EndedReplica;
import pm.v1.FileSystemState;

/**
 * Copies of processes that ended on other nodes, kept here so that they outlive their node, by
 * process: how each ended (small: what the sweeps read every minute) and its /data apart, both
 * sealed under the agent's keys; its output is kept as the replica's log. Thread-safe (each entry
 * is one file, replaced atomically).
 */
public final class EndedReplicas {
    private final SealedMessages<EndedReplica> ends;
    private final SealedMessages<FileSystemState> files;
    private final LocalStores stores;

    public EndedReplicas(Path dataDir, LocalStores stores) {
        this.ends = new SealedMessages<>(
                dataDir.resolve("ended-replicas"), stores.keys(), "ended-replica", EndedReplica.parser());
        this.files = new SealedMessages<>(
                dataDir.resolve("ended-replica-files"), stores.keys(), "ended-replica-files", FileSystemState.parser());
        this.stores = stores;
    }

    /** Keeps the copy of a process that ended on another node, in place of any checkpoint replica of it. */
    void keep(EndedReplica copy) {
        String name = ProcessLogs.fileName(copy.getRecord().getProcessId());
        files.delete(name);
        if (copy.hasFiles()) {
            files.put(name, copy.getFiles());
        }
        // Written last: its record is what says the copy is whole.
        ends.put(
                name,
                copy.toBuilder()
                        .clearFiles()
                        .setStoredMillis(System.currentTimeMillis())
                        .build());
        stores.delete(CheckpointReplicas.key(copy.getRecord().getProcessId()));
    }

    /** How each process whose ended copy is held here ended (without its files). */
    public List<EndedReplica> all() {
        return ends.names().stream().map(ends::get).flatMap(Optional::stream).toList();
    }

    public Optional<EndedReplica> get(String processId) {
        return ends.get(ProcessLogs.fileName(processId));
    }

    public Optional<FileSystemState> files(String processId) {
        return files.get(ProcessLogs.fileName(processId));
    }

    public void drop(String processId) {
        ends.delete(ProcessLogs.fileName(processId));
        files.delete(ProcessLogs.fileName(processId));
    }
}
