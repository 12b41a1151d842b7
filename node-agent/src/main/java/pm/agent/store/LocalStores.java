package pm.agent.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import pm.agent.store.crypto.ClusterKeys;

/**
 * The agent's checkpoint and module stores and its migration staging files under its data
 * directory, sealed under the agent's image keys unless they are none, with disk failures turned
 * into {@link UncheckedIOException} (an agent cannot go on without its disk; the edge reports it).
 * Thread-safe as the stores are.
 */
public final class LocalStores implements AutoCloseable {
    private final CheckpointStore checkpoints;
    private final ModuleStore modules;
    private final Path staging;
    private final ClusterKeys keys;

    LocalStores(Path dataDir) {
        this(dataDir, ClusterKeys.NONE);
    }

    public LocalStores(Path dataDir, ClusterKeys keys) {
        this.keys = keys;
        try {
            this.checkpoints = new CheckpointStore(dataDir.resolve("checkpoints"), keys);
            this.modules = new ModuleStore(dataDir.resolve("modules"));
            this.staging = Files.createDirectories(dataDir.resolve("staging"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the stores under " + dataDir, e);
        }
    }

    private interface IoCall<T> {
        T call() throws IOException;
    }

    private static <T> T io(IoCall<T> call) {
        try {
            return call.call();
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    public CheckpointRecord put(String processId, InputStream image, byte[] attachment) {
        return io(() -> checkpoints.put(processId, image, attachment));
    }

    public Optional<CheckpointRecord> latest(String processId) {
        return io(() -> checkpoints.latest(processId));
    }

    public List<CheckpointRecord> list(String processId) {
        return io(() -> checkpoints.list(processId));
    }

    public List<InputStream> open(String processId, String checkpointId) {
        return io(() -> checkpoints.open(processId, checkpointId));
    }

    /** Every process (and replica key) with a readable checkpoint. */
    public java.util.Set<String> processes() {
        return io(checkpoints::processes);
    }

    public void delete(String processId) {
        io(() -> checkpoints.delete(processId));
    }

    public void retainLatestChain(String processId) {
        io(() -> checkpoints.retainLatestChain(processId));
    }

    /** Deletes chunks no checkpoint names any more (after kills, migrations away and retained chains). */
    public void collectGarbage() {
        io(checkpoints::collectGarbage);
    }

    /**
     * A fresh staging file for a process arriving by migration: its memory pages at their offsets,
     * written while they arrive, so that only the last ones remain to be forced at the end.
     */
    public StagingFile createStaging(String processId) {
        return io(() -> StagingFile.create(stagingFile(processId), keys));
    }

    /** The staged memory of {@code pages} pages (bytes never written read as zero), authenticated if sealed. */
    public byte[] readStaging(String processId, int pages) {
        return io(() -> StagingFile.read(stagingFile(processId), pages, keys));
    }

    /** The keys this agent seals its images under ({@link ClusterKeys#NONE}: plaintext). */
    public ClusterKeys keys() {
        return keys;
    }

    public void deleteStaging(String processId) {
        io(() -> Files.deleteIfExists(stagingFile(processId)));
    }

    private Path stagingFile(String processId) {
        return staging.resolve(ChunkStore.hash(processId.getBytes(StandardCharsets.UTF_8)) + ".memory");
    }

    public String putModule(byte[] bytes) {
        return io(() -> modules.put(bytes));
    }

    public Optional<byte[]> module(String sha256Hex) {
        return io(() -> modules.get(sha256Hex));
    }

    public List<String> sweepModules(java.util.function.Supplier<java.util.Set<String>> live, long unusedSinceMillis) {
        return io(() -> modules.sweep(live, unusedSinceMillis));
    }

    public boolean hasModule(String sha256Hex) {
        return modules.contains(sha256Hex);
    }

    @Override
    public void close() {
        io(() -> {
            checkpoints.close();
            return null;
        });
    }
}
