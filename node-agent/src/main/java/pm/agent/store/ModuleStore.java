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
 * sent to an agent only when the agent lacks it. A module's modification time is its last use
 * (stored, read); {@link #sweep} deletes unused ones under the same per-module lock a use takes.
 * Thread-safe; state only on disk.
 */
public final class ModuleStore {
    private static final Logger log = LoggerFactory.getLogger(ModuleStore.class);
    private final Path dir;
    private final Object[] stripes = new Object[64];

    public ModuleStore(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Object();
        }
    }

    private Object lockOf(String sha256Hex) {
        return stripes[Integer.parseInt(sha256Hex.substring(0, 2), 16) % stripes.length];
    }

    /** Stores {@code module} unless held already and returns its lowercase hex SHA-256. */
    public String put(byte[] module) throws IOException {
        String sha = ChunkStore.hash(module);
        Path file = path(sha);
        synchronized (lockOf(sha)) {
            if (size(file) != module.length) {
                Durable.createDirectory(file.getParent());
                Durable.write(file, module);
            } else {
                touch(file);
            }
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
        synchronized (lockOf(sha256Hex)) {
            try {
                bytes = Files.readAllBytes(file);
                touch(file);
            } catch (NoSuchFileException e) {
                return Optional.empty();
            }
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

    /**
     * Deletes every module {@code live} does not name and nothing used since {@code unusedSinceMillis};
     * returns the SHA-256s deleted. {@code live} is taken after the modules are listed: one stored
     * meanwhile is young, not swept.
     */
    public java.util.List<String> sweep(java.util.function.Supplier<java.util.Set<String>> live, long unusedSinceMillis)
            throws IOException {
        java.util.List<Path> old = new java.util.ArrayList<>();
        try (var files = Files.find(
                dir,
                2,
                (p, a) -> a.isRegularFile() && ChunkStore.isHash(p.getFileName().toString()))) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.getLastModifiedTime(p).toMillis() < unusedSinceMillis) {
                    old.add(p);
                }
            }
        }
        if (old.isEmpty()) {
            return java.util.List.of();
        }
        java.util.Set<String> keep = live.get();
        java.util.List<String> deleted = new java.util.ArrayList<>();
        for (Path p : old) {
            String sha = p.getFileName().toString();
            if (keep.contains(sha)) {
                continue;
            }
            synchronized (lockOf(sha)) {
                try {
                    if (Files.getLastModifiedTime(p).toMillis()
                            < unusedSinceMillis) { // else put to use since it was listed
                        Files.delete(p);
                        deleted.add(sha);
                    }
                } catch (NoSuchFileException e) {
                    // gone already
                }
            }
        }
        return deleted;
    }

    private static void touch(Path file) throws IOException {
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
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
