package pm.agent.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WebAssembly modules by the lowercase hex SHA-256 of their bytes ({@code <dir>/ab/abcdef...}),
 * each stored once and atomically, so images and specs can name a module by hash and a module is
 * sent to an agent only when the agent lacks it. Thread-safe; state only on disk.
 */
public final class ModuleStore {
    private static final Logger log = LoggerFactory.getLogger(ModuleStore.class);
    private final Path dir;

    public ModuleStore(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
    }

    /** Stores {@code module} unless held already and returns its lowercase hex SHA-256. */
    public String put(byte[] module) throws IOException {
        String sha = ChunkStore.hash(module);
        Path file = path(sha);
        if (size(file) != module.length) {
            Durable.createDirectory(file.getParent());
            Durable.write(file, module);
        }
        return sha;
    }

    /**
     * The module whose SHA-256 is {@code sha256Hex}, checked against it. A file that no longer
     * matches its name is logged, removed (a later put stores the module afresh) and reported absent.
     */
    public Optional<byte[]> get(String sha256Hex) throws IOException {
        Path file = path(sha256Hex);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (!ChunkStore.hash(bytes).equals(sha256Hex)) {
            log.error("module {} is corrupt (its bytes do not hash to its name); removed", file);
            Files.deleteIfExists(file);
            return Optional.empty();
        }
        return Optional.of(bytes);
    }

    public boolean contains(String sha256Hex) {
        return Files.isRegularFile(path(sha256Hex));
    }

    private Path path(String sha256Hex) {
        if (!ChunkStore.isHash(sha256Hex)) {
            throw new IllegalArgumentException("not a module SHA-256 (64 lowercase hex digits): " + sha256Hex);
        }
        return dir.resolve(sha256Hex.substring(0, 2)).resolve(sha256Hex);
    }

    private static long size(Path file) throws IOException {
        try {
            return Files.size(file);
        } catch (NoSuchFileException e) {
            return -1;
        }
    }
}
