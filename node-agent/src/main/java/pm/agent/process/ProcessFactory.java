package pm.agent.process;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import pm.agent.input.InputResolver;
import pm.runtime.LimitExceededException;
import pm.runtime.interp.Limits;
import pm.runtime.interp.MemoryInstance;
import pm.runtime.process.WasiProcess;
import pm.runtime.wasi.ErrnoException;
import pm.runtime.wasi.FileSystem;
import pm.runtime.wasi.InputSource;
import pm.runtime.wasi.Node;
import pm.runtime.wasi.WasiSession;
import pm.v1.BlobRef;
import pm.v1.FileEntry;
import pm.v1.LogChunk;
import pm.v1.ProcessLimits;
import pm.v1.ProcessSpec;

/**
 * Turns a {@link ProcessSpec} into the runtime's pieces: limits, a fresh session, host endpoints for a
 * restore (stdio to the log, the channel dispatcher's doorbell), in the agent's tier. Stateless.
 */
public final class ProcessFactory {
    public static final String DATA_DIR = "/data";

    private final long defaultFsBytes;
    private final Runnable outboxDoorbell;
    private final InputResolver inputs;
    private final pm.runtime.interp.Machine.Tier tier;

    public ProcessFactory(long defaultFsBytes) {
        this(defaultFsBytes, () -> {}, InputResolver.NONE, pm.runtime.interp.Machine.defaultTier());
    }

    /**
     * {@code outboxDoorbell}: rung when a process sends a message (the agent's channel dispatcher);
     * {@code inputs}: the stored inputs a spec names by content.
     */
    ProcessFactory(
            long defaultFsBytes, Runnable outboxDoorbell, InputResolver inputs, pm.runtime.interp.Machine.Tier tier) {
        this.defaultFsBytes = defaultFsBytes;
        this.tier = tier;
        this.outboxDoorbell = outboxDoorbell;
        this.inputs = inputs;
    }

    public Limits limits(ProcessSpec spec) {
        ProcessLimits l = spec.getLimits();
        Limits limits = Limits.DEFAULT.withTier(tier); // every machine of the process, started, restored or arrived
        if (l.getMemoryPages() > 0) {
            limits = limits.withMemoryPages(Math.min(l.getMemoryPages(), MemoryInstance.MAX_PAGES));
        }
        if (l.getMaxCallDepth() > 0) {
            limits = limits.withMaxCallDepth(l.getMaxCallDepth());
        }
        if (l.getMaxStackSlots() > 0) {
            limits = new Limits(limits.memoryPages(), limits.maxCallDepth(), l.getMaxStackSlots(), tier);
        }
        return limits;
    }

    public long fsBytes(ProcessSpec spec) {
        return spec.getLimits().getMaxFsBytes() > 0 ? spec.getLimits().getMaxFsBytes() : defaultFsBytes;
    }

    /** stdio bound to {@code log} and the spec's stdin: what a restore re-binds. */
    public WasiSession.Builder endpoints(ProcessSpec spec, ProcessLog log) {
        WasiSession.Builder b = WasiSession.builder()
                .stdout(log.sink(LogChunk.Stream.STREAM_STDOUT))
                .stderr(log.sink(LogChunk.Stream.STREAM_STDERR))
                .stdin(stdin(spec))
                .blobs(blobs()) // files an image names by hash
                .outboxDoorbell(outboxDoorbell);
        if (spec.getLimits().getMaxOpenHandles() > 0) {
            b.maxOpenHandles(spec.getLimits().getMaxOpenHandles());
        }
        return b;
    }

    private InputSource stdin(ProcessSpec spec) {
        if (spec.getStdinSha256().isEmpty()) {
            return InputSource.of(spec.getStdin().toByteArray());
        }
        return InputSource.of(inputs.require(
                spec.getStdinSha256(), spec.getStdinSize())); // read where the process is, never held whole
    }

    /** Finds the stored inputs an image (or kept files) names by hash, fetching them if need be. */
    pm.runtime.wasi.BlobResolver blobs() {
        return sha -> Optional.of(inputs.require(ByteString.copyFrom(sha), InputResolver.ANY_SIZE));
    }

    /** The stored inputs files in {@code p}'s /data read from; {@code p} is parked (its file system does not change meanwhile). */
    static List<BlobRef> fileInputs(WasiProcess p) {
        FileSystem fs = p.session().preopen(DATA_DIR);
        return fs == null ? List.of() : refs(fs);
    }

    static List<BlobRef> refs(FileSystem fs) {
        return fs.blobs().stream()
                .map(b -> BlobRef.newBuilder()
                        .setSha256(ByteString.copyFrom(b.sha256()))
                        .setSize(b.size())
                        .build())
                .toList();
    }

    /** Every input the spec names by hash, held here (fetched now if need be: before a migration's downtime, not in it). */
    public void requireInputs(ProcessSpec spec, List<BlobRef> fileInputs) {
        for (BlobRef ref : fileInputs) {
            inputs.require(ref.getSha256(), ref.getSize());
        }
        for (FileEntry f : spec.getFilesList()) {
            if (!f.getSha256().isEmpty()) {
                inputs.require(f.getSha256(), f.getSize());
            }
        }
        if (!spec.getStdinSha256().isEmpty()) {
            inputs.require(spec.getStdinSha256(), spec.getStdinSize());
        }
    }

    /** The bytes a spec's inputs take in /data: refused before anything runs if more than its file-system limit. */
    void checkInputsFit(ProcessSpec spec) {
        long total = 0;
        for (FileEntry f : spec.getFilesList()) {
            total += f.getSha256().isEmpty() ? f.getContents().size() : f.getSize();
        }
        if (total > fsBytes(spec)) {
            throw new LimitExceededException(
                    "the input files take " + total + " bytes, more than the file-system limit of " + fsBytes(spec)
                            + " bytes (--fs-bytes, or the spec's limits.max_fs_bytes)");
        }
    }

    /** A new session: the spec's args, environment and files under /data (which exists even without files), stdio to {@code log}. */
    public WasiSession fresh(ProcessSpec spec, ProcessLog log) {
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : spec.getEnvMap().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
        checkInputsFit(spec);
        WasiSession.Builder b = endpoints(spec, log).args(spec.getArgsList()).environment(env);
        return b.preopen(DATA_DIR, files(spec)).build(); // always: a program may create its files there
    }

    private FileSystem files(ProcessSpec spec) {
        FileSystem fs = new FileSystem(() -> System.currentTimeMillis() * 1_000_000L, fsBytes(spec));
        for (FileEntry f : spec.getFilesList()) {
            String[] parts = f.getPath().split("/");
            Node dir = fs.root();
            try {
                for (int i = 0; i < parts.length - 1; i++) {
                    if (!parts[i].isEmpty()) {
                        dir = directory(fs, dir, parts[i]);
                    }
                }
                if (f.getSha256().isEmpty()) {
                    Node file = fs.createFile(dir, parts[parts.length - 1]);
                    byte[] bytes = f.getContents().toByteArray();
                    fs.write(file, 0, bytes, 0, bytes.length);
                } else {
                    // read from the stored input until the guest changes it; images name it by hash
                    fs.createFile(dir, parts[parts.length - 1], inputs.require(f.getSha256(), f.getSize()));
                }
            } catch (ErrnoException e) {
                if (e.errno() == pm.runtime.wasi.Errno.ENOSPC || e.errno() == pm.runtime.wasi.Errno.EFBIG) {
                    throw new LimitExceededException(
                            "file " + f.getPath() + ": " + e.getMessage()); // a limit, not a bad request
                }
                throw new IllegalArgumentException("file " + f.getPath() + ": " + e.getMessage(), e);
            }
        }
        return fs;
    }

    private static Node directory(FileSystem fs, Node parent, String name) {
        try {
            return fs.resolve(parent, name, true);
        } catch (ErrnoException e) {
            return fs.createDirectory(parent, name);
        }
    }
}
