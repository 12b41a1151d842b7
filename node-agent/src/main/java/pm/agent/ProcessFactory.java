package pm.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import pm.runtime.interp.Limits;
import pm.runtime.interp.MemoryInstance;
import pm.runtime.wasi.ErrnoException;
import pm.runtime.wasi.FileSystem;
import pm.runtime.wasi.InputSource;
import pm.runtime.wasi.Node;
import pm.runtime.wasi.WasiSession;
import pm.v1.FileEntry;
import pm.v1.LogChunk;
import pm.v1.ProcessLimits;
import pm.v1.ProcessSpec;

/**
 * Turns a {@link ProcessSpec} into the runtime's pieces: limits, a fresh session, host endpoints for a
 * restore (stdio to the log, the channel dispatcher's doorbell). Stateless.
 */
final class ProcessFactory {
    static final String DATA_DIR = "/data";

    private final long defaultFsBytes;
    private final Runnable outboxDoorbell;

    ProcessFactory(long defaultFsBytes) {
        this(defaultFsBytes, () -> { });
    }

    /** {@code outboxDoorbell}: rung when a process sends a message (the agent's channel dispatcher). */
    ProcessFactory(long defaultFsBytes, Runnable outboxDoorbell) {
        this.defaultFsBytes = defaultFsBytes;
        this.outboxDoorbell = outboxDoorbell;
    }

    Limits limits(ProcessSpec spec) {
        ProcessLimits l = spec.getLimits();
        Limits limits = Limits.DEFAULT;
        if (l.getMemoryPages() > 0) {
            limits = limits.withMemoryPages(Math.min(l.getMemoryPages(), MemoryInstance.MAX_PAGES));
        }
        if (l.getMaxCallDepth() > 0) {
            limits = limits.withMaxCallDepth(l.getMaxCallDepth());
        }
        if (l.getMaxStackSlots() > 0) {
            limits = new Limits(limits.memoryPages(), limits.maxCallDepth(), l.getMaxStackSlots());
        }
        return limits;
    }

    long fsBytes(ProcessSpec spec) {
        return spec.getLimits().getMaxFsBytes() > 0 ? spec.getLimits().getMaxFsBytes() : defaultFsBytes;
    }

    /** stdio bound to {@code log} and the spec's stdin: what a restore re-binds. */
    WasiSession.Builder endpoints(ProcessSpec spec, ProcessLog log) {
        WasiSession.Builder b = WasiSession.builder()
                .stdout((bytes, off, len) -> log.append(LogChunk.Stream.STREAM_STDOUT, bytes, off, len))
                .stderr((bytes, off, len) -> log.append(LogChunk.Stream.STREAM_STDERR, bytes, off, len))
                .stdin(InputSource.of(spec.getStdin().toByteArray()))
                .outboxDoorbell(outboxDoorbell);
        if (spec.getLimits().getMaxOpenHandles() > 0) {
            b.maxOpenHandles(spec.getLimits().getMaxOpenHandles());
        }
        return b;
    }

    /** A new session: the spec's args, environment and files under /data (which exists even without files), stdio to {@code log}. */
    WasiSession fresh(ProcessSpec spec, ProcessLog log) {
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : spec.getEnvMap().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
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
                Node file = fs.createFile(dir, parts[parts.length - 1]);
                byte[] bytes = f.getContents().toByteArray();
                fs.write(file, 0, bytes, 0, bytes.length);
            } catch (ErrnoException e) {
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
