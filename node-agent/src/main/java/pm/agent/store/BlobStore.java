package pm.agent.store;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import pm.runtime.wasi.BlobContent;

/**
 * Inputs of processes (files, stdin) by content: each in a file named by its SHA-256, written under
 * a temporary name, checked against the size and hash the uploader declared, forced, then renamed
 * into place, so a name always holds exactly its content. Reads are positional (a process reads its
 * stdin or a file where it left off) through one shared channel per blob. A blob's modification time
 * is its last use (stored, found, asked for): {@link #sweep} deletes only blobs unused for a while, under
 * the same per-blob lock a use takes, so a blob being put to use is never swept from under it.
 *
 * <p>Threads: any; an {@link Upload} belongs to one thread at a time.
 */
public final class BlobStore implements Closeable {
    private static final HexFormat HEX = HexFormat.of();

    private final Path dir;
    private final Map<String, FileChannel> open = new ConcurrentHashMap<>();
    private final Object[] stripes = new Object[64];

    public BlobStore(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Object();
        }
    }

    private Object lockOf(String hex) {
        return stripes[Math.floorMod(hex.hashCode(), stripes.length)];
    }

    /** Marks the blob used now; false if it is not held. The caller holds its lock. */
    private boolean touch(String hex) {
        try {
            Files.setLastModifiedTime(dir.resolve(hex), FileTime.fromMillis(System.currentTimeMillis()));
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("reading input " + hex, e);
        }
    }

    /** A stored input: its size and positional reads (a channel's positional reads may run concurrently). */
    public record Blob(String hex, long size, FileChannel channel) implements BlobContent {
        @Override
        public byte[] sha256() {
            return HEX.parseHex(hex);
        }

        /** Up to {@code length} bytes at {@code position}; -1 at the end. */
        @Override
        public int read(long position, byte[] into, int offset, int length) {
            if (position >= size) {
                return -1;
            }
            try {
                int n = channel.read(ByteBuffer.wrap(into, offset, (int) Math.min(length, size - position)), position);
                return n < 0 ? -1 : n;
            } catch (IOException e) {
                throw new UncheckedIOException("reading input " + hex, e);
            }
        }
    }

    /** The input with SHA-256 {@code sha256}, if held. */
    public Optional<Blob> find(byte[] sha256) {
        String hex = HEX.formatHex(sha256);
        synchronized (lockOf(hex)) {
            return touch(hex) ? open(hex) : Optional.empty();
        }
    }

    private Optional<Blob> open(String hex) {
        try {
            FileChannel ch = open.computeIfAbsent(hex, h -> {
                try {
                    return FileChannel.open(dir.resolve(h), StandardOpenOption.READ);
                } catch (NoSuchFileException e) {
                    return null;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            return ch == null ? Optional.empty() : Optional.of(new Blob(hex, ch.size(), ch));
        } catch (IOException e) {
            throw new UncheckedIOException("reading input " + hex, e);
        }
    }

    public boolean contains(byte[] sha256) {
        String hex = HEX.formatHex(sha256);
        synchronized (lockOf(hex)) {
            return touch(hex);
        }
    }

    /** What a sweep deleted. */
    public record Swept(int blobs, long bytes) {}

    /**
     * Deletes every blob {@code live} does not name and nothing used since {@code unusedSinceMillis}.
     * {@code live} is taken after the blobs are listed: a blob stored meanwhile is young, not swept.
     */
    public Swept sweep(java.util.function.Supplier<java.util.Set<String>> live, long unusedSinceMillis)
            throws IOException {
        java.util.List<Path> old = new java.util.ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (!p.getFileName().toString().startsWith(".")
                        && Files.getLastModifiedTime(p).toMillis() < unusedSinceMillis) {
                    old.add(p);
                }
            }
        }
        if (old.isEmpty()) {
            return new Swept(0, 0);
        }
        java.util.Set<String> keep = live.get();
        int blobs = 0;
        long bytes = 0;
        for (Path p : old) {
            String hex = p.getFileName().toString();
            if (keep.contains(hex)) {
                continue;
            }
            synchronized (lockOf(hex)) {
                try {
                    if (Files.getLastModifiedTime(p).toMillis() >= unusedSinceMillis) {
                        continue; // put to use since it was listed
                    }
                    long size = Files.size(p);
                    FileChannel ch = open.remove(hex);
                    if (ch != null) {
                        ch.close();
                    }
                    Files.delete(p);
                    blobs++;
                    bytes += size;
                } catch (NoSuchFileException e) {
                    // gone already
                }
            }
        }
        return new Swept(blobs, bytes);
    }

    /** Starts storing an input of {@code size} bytes; {@code expectedSha256} (32 bytes) is checked at the end unless empty. */
    public Upload begin(long size, byte[] expectedSha256) throws IOException {
        if (size < 0) {
            throw new IllegalArgumentException("an input's size is not negative: " + size);
        }
        if (expectedSha256.length != 0 && expectedSha256.length != 32) {
            throw new IllegalArgumentException(
                    "an input is named by a 32-byte SHA-256, not " + expectedSha256.length + " bytes");
        }
        Path temp = dir.resolve(".upload-" + UUID.randomUUID());
        return new Upload(
                temp,
                FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                size,
                expectedSha256);
    }

    /** Deletes temporary files an interrupted upload left; only safe while no upload runs (at start). */
    public int sweepUploads() throws IOException {
        int n = 0;
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().startsWith(".upload-") && Files.deleteIfExists(p)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** One input on its way in. Nothing is visible under the input's name until {@link #finish} checked it. */
    public final class Upload implements Closeable {
        private final Path temp;
        private final FileChannel file;
        private final long size;
        private final byte[] expected;
        private final MessageDigest digest;
        private long written;
        private boolean done;

        private Upload(Path temp, FileChannel file, long size, byte[] expected) {
            this.temp = temp;
            this.file = file;
            this.size = size;
            this.expected = expected;
            try {
                this.digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JVM has SHA-256", e);
            }
        }

        /** Appends {@code data}; more bytes than declared is an error. */
        public void write(ByteBuffer data) throws IOException {
            if (written + data.remaining() > size) {
                throw new BlobMismatchException("the input is longer than the " + size + " bytes declared");
            }
            digest.update(data.duplicate());
            while (data.hasRemaining()) {
                written += file.write(data);
            }
        }

        public long written() {
            return written;
        }

        /** Checks size and hash, makes it durable and visible; returns its SHA-256. */
        public byte[] finish() throws IOException {
            if (written != size) {
                throw new BlobMismatchException(
                        "the input ended after " + written + " of the " + size + " bytes declared");
            }
            byte[] sha = digest.digest();
            if (expected.length != 0 && !MessageDigest.isEqual(sha, expected)) {
                throw new BlobMismatchException("the input's SHA-256 is " + HEX.formatHex(sha) + ", not the "
                        + HEX.formatHex(expected) + " declared");
            }
            file.force(true);
            file.close();
            Files.move(
                    temp,
                    dir.resolve(HEX.formatHex(sha)),
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            Durable.syncDirectory(dir);
            done = true;
            return sha;
        }

        /** Drops what was written unless it was finished. */
        @Override
        public void close() throws IOException {
            if (!done) {
                file.close();
                Files.deleteIfExists(temp);
            }
        }
    }

    /** What was uploaded is not what was declared (size or hash). */
    public static final class BlobMismatchException extends IOException {
        public BlobMismatchException(String message) {
            super(message);
        }
    }

    @Override
    public void close() {
        open.values().forEach(ch -> {
            try {
                ch.close();
            } catch (IOException e) {
                // closing a read-only channel: nothing is lost
            }
        });
        open.clear();
    }
}
