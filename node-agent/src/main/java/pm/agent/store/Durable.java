package pm.agent.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * How the stores make a file appear whole or not at all: write it under a temporary name in its
 * final directory, fsync it, rename it over its final name, then fsync the directory so the
 * rename itself survives a power cut. Temporary names start with {@value #TEMP_PREFIX}; readers
 * skip them and garbage collection removes those a crash left behind.
 */
final class Durable {
    static final String TEMP_PREFIX = ".tmp-";

    private Durable() {}

    static boolean isTemp(Path file) {
        return file.getFileName().toString().startsWith(TEMP_PREFIX);
    }

    /** A fresh temporary name in {@code dir}. */
    static Path tempIn(Path dir) {
        return dir.resolve(TEMP_PREFIX + UUID.randomUUID());
    }

    /** Writes {@code bytes} to {@code target} atomically and durably (file and directory entry). */
    static void write(Path target, byte[] bytes) throws IOException {
        writeFile(target, bytes, 0, bytes.length);
        syncDirectory(target.getParent());
    }

    /**
     * Writes {@code bytes[off, off+len)} to {@code target} atomically, the contents durable before
     * the name appears; the caller fsyncs the directory (once for many files) before relying on it.
     */
    static void writeFile(Path target, byte[] bytes, int off, int len) throws IOException {
        Path temp = tempIn(target.getParent());
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes, off, len);
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(false);
            }
            move(temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the store's file system cannot rename atomically: " + to.getParent(), e);
        }
    }

    /** Makes the entries of {@code dir} (creations, renames, deletions) durable. */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Creates {@code dir} if need be, and makes its entry in its parent durable when it was created. */
    static void createDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Files.createDirectories(dir);
        syncDirectory(dir.getParent());
    }
}
