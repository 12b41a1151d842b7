package pm.agent;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import pm.agent.store.BlobStore;
import pm.agent.store.CheckpointRecord;
import pm.v1.BlobRef;
import pm.v1.FileEntry;
import pm.v1.ProcessRecord;
import pm.v1.ProcessSpec;

/**
 * Deletes the stored inputs nothing here needs any more: no process this agent holds (in any state,
 * ended ones included) names them in its spec or reads them through its files, no checkpoint or
 * replica kept here names them, and none was used within the grace period. The grace is what keeps
 * an upload whose spawn or copy has not come yet; what a failed spawn uploaded goes when it ends.
 * Runs on the agent's housekeeping thread.
 */
final class UnusedInputSweeper {
    private final ProcessHost host;
    private final BlobStore inputs;
    private final long graceMillis;
    private final LongSupplier clock;

    UnusedInputSweeper(ProcessHost host, BlobStore inputs, long graceMillis, LongSupplier clock) {
        this.host = host;
        this.inputs = inputs;
        this.graceMillis = graceMillis;
        this.clock = clock;
    }

    BlobStore.Swept sweep() throws IOException {
        return inputs.sweep(this::live, clock.getAsLong() - graceMillis);
    }

    /** Every input named here now, by lowercase hex SHA-256. A checkpoint that cannot be read stops the sweep. */
    private Set<String> live() {
        Set<String> live = new HashSet<>();
        for (HostedProcess h : host.all()) {
            add(live, h.spec, h.fileInputs);
        }
        for (String key : host.stores().processes()) {
            for (CheckpointRecord r : host.stores().list(key)) {
                ProcessRecord record;
                try {
                    record = ProcessRecord.parseFrom(r.attachment());
                } catch (InvalidProtocolBufferException e) {
                    throw new IllegalStateException("checkpoint " + r.checkpointId() + " of " + key
                            + " has an unreadable record; no input is swept until it is gone", e);
                }
                add(live, record.getSpec(), record.getFileInputsList());
            }
        }
        for (pm.v1.EndedReplica copy : host.endedReplicas()) {
            add(live, copy.getRecord().getSpec(), copy.getRecord().getFileInputsList());
        }
        return live;
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
