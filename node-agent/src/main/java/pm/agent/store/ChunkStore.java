package pm.agent.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.TreeSet;

/**
 * Content-addressed chunk files: {@code <root>/ab/abcdef...}, named by the lowercase hex SHA-256
 * of their bytes, so a chunk that is already held costs nothing to store again — unchanged page
 * groups of a process are stored once however many checkpoints name them. A file appears under
 * its name only whole and fsync'd (see {@link Durable}); {@link #sync} makes the names durable.
 *
 * <p>Thread-safe: two writers of the same chunk both rename identical bytes over the same name.
 * Deleting a chunk a concurrent writer is about to reuse is the caller's problem to exclude
 * (see {@link CheckpointStore#collectGarbage}).
 */
public final class ChunkStore {
    private static final HexFormat HEX = HexFormat.of();
    private final Path root;

    public ChunkStore(Path root) throws IOException {
        this.root = root;
        Durable.createDirectory(root);
    }

    /** The lowercase hex SHA-256 of {@code bytes}, the name a chunk is stored under. */
    public static String hash(byte[] bytes) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** Whether {@code name} is what {@link #hash} returns for something: 64 lowercase hex digits. */
    public static boolean isHash(String name) {
        if (name.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = name.charAt(i);
            if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    /**
     * Stores {@code bytes} under {@code hash} (which must be {@link #hash}{@code (bytes)}) unless a
     * chunk of that name and size is already held, and says whether it wrote. The name is durable
     * only after {@link #sync}.
     */
    public boolean put(String hash, byte[] bytes) throws IOException {
        Path file = path(hash);
        if (size(file) == bytes.length) {
            return false;
        }
        Durable.createDirectory(file.getParent());
        Durable.writeFile(file, bytes, 0, bytes.length);
        return true;
    }

    /** Makes the names of {@code hashes} durable: fsyncs each directory they live in, once. */
    public void sync(Collection<String> hashes) throws IOException {
        Set<Path> dirs = new HashSet<>();
        for (String h : hashes) {
            dirs.add(path(h).getParent());
        }
        for (Path dir : dirs) {
            Durable.syncDirectory(dir);
        }
    }

    /** Opens the chunk for reading; NoSuchFileException if it is not held. */
    public InputStream open(String hash) throws IOException {
        return Files.newInputStream(path(hash));
    }

    /** The stored size of the chunk, or -1 if it is not held. */
    public long size(String hash) throws IOException {
        return size(path(hash));
    }

    public boolean contains(String hash) {
        return Files.isRegularFile(path(hash));
    }

    /** Every chunk held, by name, in order. Leftover temporary files are not chunks. */
    public Set<String> list() throws IOException {
        Set<String> names = new TreeSet<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path dir : dirs) {
                if (!Files.isDirectory(dir)) {
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                    for (Path f : files) {
                        String name = f.getFileName().toString();
                        if (isHash(name) && name.startsWith(dir.getFileName().toString())) {
                            names.add(name);
                        }
                    }
                }
            }
        }
        return names;
    }

    /** Deletes the chunk and returns the bytes freed (0 if it was not held). */
    public long delete(String hash) throws IOException {
        Path file = path(hash);
        long size = size(file);
        return Files.deleteIfExists(file) ? Math.max(size, 0) : 0;
    }

    /** Deletes the temporary files a crashed writer left; only safe while no writer runs. Returns how many. */
    int deleteTemporaryFiles() throws IOException {
        int deleted = 0;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path dir : dirs) {
                if (!Files.isDirectory(dir)) {
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, Durable.TEMP_PREFIX + "*")) {
                    for (Path f : files) {
                        if (Files.deleteIfExists(f)) {
                            deleted++;
                        }
                    }
                }
            }
        }
        return deleted;
    }

    private Path path(String hash) {
        if (!isHash(hash)) {
            throw new IllegalArgumentException("not a chunk name (64 lowercase hex digits): " + hash);
        }
        return root.resolve(hash.substring(0, 2)).resolve(hash);
    }

    private static long size(Path file) throws IOException {
        try {
            return Files.size(file);
        } catch (NoSuchFileException e) {
            return -1;
        }
    }
}
