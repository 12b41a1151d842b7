package pm.agent;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import pm.agent.process.HostedProcess;
import pm.agent.process.ProcessHost;
import pm.agent.store.BlobStore;
import pm.agent.store.CheckpointRecord;
import pm.v1.BlobRef;
import pm.v1.FileEntry;
import pm.v1.ProcessRecord;
import pm.v1.ProcessSpec;

/**
 * Deletes the stored inputs and modules nothing here needs any more: no process this agent holds (in
 * any state, ended ones included) names them in its spec or reads them through its files, no checkpoint
 * or replica kept here names them, and none was used within the grace period. A module is also kept
 * while any ownership record of the cluster names it (a recovery may ask any node for it); with the
 * records unknown (standalone: none; cut off from ZooKeeper: no module sweep). The grace is what keeps
 * an upload whose spawn or copy has not come yet; what a failed spawn stored goes when it ends.
 * Runs on the agent's housekeeping thread.
 */
final class UnusedDataSweeper {
    private final ProcessHost host;
    private final BlobStore inputs;
    private final java.util.function.Supplier<java.util.Optional<Set<String>>> clusterModules;
    private final long graceMillis;
    private final LongSupplier clock;

    /** {@code clusterModules}: the modules the cluster's ownership records name, lowercase hex; empty when unknown now. */
    UnusedDataSweeper(
            ProcessHost host,
            BlobStore inputs,
            java.util.function.Supplier<java.util.Optional<Set<String>>> clusterModules,
            long graceMillis,
            LongSupplier clock) {
        this.host = host;
        this.inputs = inputs;
        this.clusterModules = clusterModules;
        this.graceMillis = graceMillis;
        this.clock = clock;
    }

    BlobStore.Swept sweepInputs() throws IOException {
        return inputs.sweep(this::live, clock.getAsLong() - graceMillis);
    }

    /** Deletes the unused modules (none while the cluster's records are unknown); returns how many went. */
    int sweepModules() {
        java.util.Optional<Set<String>> named = clusterModules.get();
        if (named.isEmpty()) {
            return 0;
        }
        return host.modules()
                .sweep(
                        () -> {
                            Set<String> live = liveModules();
                            live.addAll(named.get());
                            return live;
                        },
                        clock.getAsLong() - graceMillis);
    }

    /** The modules named here now, by lowercase hex SHA-256. */
    private Set<String> liveModules() {
        Set<String> live = new HashSet<>();
        for (HostedProcess h : host.all()) {
            live.add(HexFormat.of().formatHex(h.module.sha256()));
        }
        for (ProcessRecord record : checkpointRecords()) {
            add(live, record.getSpec().getModuleSha256());
        }
        for (pm.v1.EndedReplica copy : host.ended().replicas().all()) {
            add(live, copy.getRecord().getSpec().getModuleSha256());
        }
        return live;
    }

    /** Every input named here now, by lowercase hex SHA-256. A checkpoint that cannot be read stops the sweep. */
    private Set<String> live() {
        Set<String> live = new HashSet<>();
        for (HostedProcess h : host.all()) {
            add(live, h.spec, h.fileInputs);
        }
        for (ProcessRecord record : checkpointRecords()) {
            add(live, record.getSpec(), record.getFileInputsList());
        }
        for (pm.v1.EndedReplica copy : host.ended().replicas().all()) {
            add(live, copy.getRecord().getSpec(), copy.getRecord().getFileInputsList());
        }
        return live;
    }

    /** The record attached to every checkpoint and replica kept here. One that cannot be read stops the sweep. */
    private List<ProcessRecord> checkpointRecords() {
        List<ProcessRecord> records = new java.util.ArrayList<>();
        for (String key : host.stores().processes()) {
            for (CheckpointRecord r : host.stores().list(key)) {
                try {
                    records.add(ProcessRecord.parseFrom(r.attachment()));
                } catch (InvalidProtocolBufferException e) {
                    throw new IllegalStateException(
                            "checkpoint " + r.checkpointId() + " of " + key
                                    + " has an unreadable record; nothing is swept until it is gone",
                            e);
                }
            }
        }
        return records;
    }

    private static void add(Set<String> live, ProcessSpec spec, List<BlobRef> fileInputs) {
        for (FileEntry f : spec.getFilesList()) {
            add(live, f.getSha256());
        }
        add(live, spec.getStdinSha256());
        for (BlobRef ref : fileInputs) {
            add(live, ref.getSha256());
        }
    }

    private static void add(Set<String> live, ByteString sha256) {
        if (!sha256.isEmpty()) {
            live.add(HexFormat.of().formatHex(sha256.toByteArray()));
        }
    }
}
