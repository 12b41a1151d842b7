package pm.agent.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import pm.agent.store.crypto.ChunkNames;
import pm.agent.store.crypto.ClusterKeys;
import pm.agent.store.crypto.Sealer;

/**
 * Content-addressed chunk files: {@code <root>/ab/abcdef...}, named by the lowercase hex SHA-256
 * of their bytes, so a chunk that is already held costs nothing to store again — unchanged page
 * groups of a process are stored once however many checkpoints name them. A file appears under
 * its name only whole and fsync'd, and its directory is fsync'd after (see {@link Durable}).
 *
 * <p><b>Sealed.</b> Given image keys, a chunk is stored sealed ({@link Sealer}: AES-256-GCM, its
 * key id in its header, bound to its name) and named by the keyed {@link ChunkNames} of its
 * plaintext instead of its SHA-256, so that dedup still works and names reveal nothing; {@link
 * #open} gives the plaintext, once authenticated, and refuses a chunk that is not sealed.
 *
 * <p>Thread-safe: two writers of the same chunk both rename identical bytes over the same name.
 * Deleting a chunk a concurrent writer is about to reuse is the caller's problem to exclude
 * (see {@link CheckpointStore#collectGarbage}).
 */
public final class ChunkStore {
    private static final HexFormat HEX = HexFormat.of();
    private final Path root;
    /** Null when chunks are stored plain. */
    private final Sealer sealer;

    private final ChunkNames names;

    public ChunkStore(Path root) throws IOException {
        this(root, ClusterKeys.NONE);
    }

    /** Chunks under {@code root}, sealed under {@code keys} unless they are {@link ClusterKeys#NONE}. */
    public ChunkStore(Path root, ClusterKeys keys) throws IOException {
        this.root = root;
        this.sealer = keys.isNone() ? null : new Sealer(keys, "chunk");
        this.names = keys.isNone() ? null : new ChunkNames(keys);
        Durable.createDirectory(root);
    }

    /** The name this store gives a chunk of {@code bytes}: their SHA-256, or their keyed name when sealed. */
    public String name(byte[] bytes) {
        return names == null ? hash(bytes) : names.name(bytes);
    }

    /** The size on disk of a chunk of {@code plainLength} bytes. */
    public long storedSize(int plainLength) {
        return sealer == null ? plainLength : (long) plainLength + Sealer.OVERHEAD;
    }

    /** What goes on disk for chunk {@code name} of {@code bytes}. */
    private byte[] encode(String name, byte[] bytes) {
        return sealer == null ? bytes : sealer.seal(binding(name), bytes, 0, bytes.length);
    }

    private static byte[] binding(String name) {
        return ("chunk:" + name).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
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
     * Stores {@code bytes} under {@code hash} (which must be {@link #name}{@code (bytes)}) unless a
     * chunk of that name and size is already held, and says whether it wrote. Durable when it returns.
     */
    public boolean put(String hash, byte[] bytes) throws IOException {
        if (size(hash) == storedSize(bytes.length)) {
            return false;
        }
        write(hash, encode(hash, bytes));
        return true;
    }

    /** Writes the chunk under a temporary name, fsyncs it, renames it into place and fsyncs the directory. */
    private void write(String hash, byte[] bytes) throws IOException {
        writeFile(hash, bytes);
        Durable.syncDirectory(path(hash).getParent());
    }

    /** Writes the chunk under a temporary name, fsyncs it and renames it into place; the name is not yet durable. */
    private void writeFile(String hash, byte[] bytes) throws IOException {
        Path file = path(hash);
        Durable.createDirectory(file.getParent());
        Durable.writeFile(file, bytes, 0, bytes.length);
    }

    /**
     * Starts storing the chunks of one image, hashed and written on {@code io} with at most {@code
     * maxBytesInFlight} bytes of chunks waiting or in progress (one larger chunk goes alone), so
     * that reading the next chunks overlaps hashing and writing these.
     */
    public Batch batch(Executor io, int maxBytesInFlight) {
        return new Batch(io, maxBytesInFlight);
    }

    /** A chunk as stored by a {@link Batch}: its name, its size (of its plaintext), and whether this batch wrote it. */
    public record Stored(String hash, int length, boolean fresh) {}

    /**
     * The chunks of one image being stored. One thread {@link #add}s them in order; each is hashed,
     * looked up and, if new, written (temporary file, fsync, rename) on the executor. {@link
     * #finish} waits for them, makes every name durable and gives them back in order. {@link
     * #close} (always call it) waits for writes still running, so none outlives the batch.
     */
    public final class Batch implements AutoCloseable {
        private final Executor io;
        private final Semaphore slots;
        private final int maxBytesInFlight;
        private final List<CompletableFuture<Stored>> added = new ArrayList<>();
        /** Names this batch writes, so a chunk repeated in one image is written and counted once. */
        private final Set<String> writing = ConcurrentHashMap.newKeySet();

        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        private Batch(Executor io, int maxBytesInFlight) {
            if (maxBytesInFlight < 1) {
                throw new IllegalArgumentException("maxBytesInFlight must be positive: " + maxBytesInFlight);
            }
            this.io = io;
            this.maxBytesInFlight = maxBytesInFlight;
            this.slots = new Semaphore(maxBytesInFlight);
        }

        /** Adds the next chunk; blocks while too many bytes are being hashed or written. */
        public void add(byte[] bytes) throws IOException {
            rethrow();
            int permits = Math.max(1, Math.min(bytes.length, maxBytesInFlight));
            acquire(permits);
            CompletableFuture<Stored> result = new CompletableFuture<>();
            added.add(result);
            try {
                io.execute(() -> {
                    try {
                        String hash = name(bytes);
                        boolean fresh = size(hash) != storedSize(bytes.length) && writing.add(hash);
                        if (fresh) {
                            writeFile(hash, encode(hash, bytes));
                        }
                        result.complete(new Stored(hash, bytes.length, fresh));
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                        result.completeExceptionally(t);
                    } finally {
                        slots.release(permits);
                    }
                });
            } catch (RuntimeException e) { // rejected: the executor is shut down
                slots.release(permits);
                throw e;
            }
        }

        /** Waits for every chunk, fails if one failed, makes every name durable, and returns them in order. */
        public List<Stored> finish() throws IOException {
            acquire(maxBytesInFlight);
            slots.release(maxBytesInFlight);
            rethrow();
            List<Stored> stored = new ArrayList<>(added.size());
            Set<Path> dirs = new HashSet<>();
            for (CompletableFuture<Stored> f : added) {
                stored.add(f.join());
                dirs.add(path(f.join().hash()).getParent());
            }
            // Each directory once, after all renames, spread over the executor. The directories of
            // chunks found present too: a crash of an earlier writer between its rename and its
            // directory fsync can leave such a name not yet durable.
            List<CompletableFuture<Void>> syncs = new ArrayList<>();
            for (Path dir : dirs) {
                syncs.add(CompletableFuture.runAsync(
                        () -> {
                            try {
                                Durable.syncDirectory(dir);
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        },
                        io));
            }
            try {
                CompletableFuture.allOf(syncs.toArray(CompletableFuture[]::new)).join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof UncheckedIOException u) {
                    throw u.getCause();
                }
                throw e;
            }
            return stored;
        }

        @Override
        public void close() {
            slots.acquireUninterruptibly(maxBytesInFlight);
            slots.release(maxBytesInFlight);
        }

        private void acquire(int n) throws IOException {
            try {
                slots.acquire(n);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while storing chunks");
            }
        }

        private void rethrow() throws IOException {
            Throwable t = failure.get();
            if (t instanceof IOException e) {
                throw new IOException("writing a chunk failed: " + e.getMessage(), e);
            }
            if (t != null) {
                throw new IllegalStateException("writing a chunk failed", t);
            }
        }
    }

    /**
     * Opens the chunk for reading; NoSuchFileException if it is not held. A sealed chunk is read
     * whole and authenticated first: {@link pm.agent.store.crypto.TamperedDataException} if it is
     * not what was sealed under this name, {@link pm.agent.store.crypto.UnknownKeyException} if its
     * key is not in the ring.
     */
    public InputStream open(String hash) throws IOException {
        if (sealer == null) {
            return Files.newInputStream(path(hash));
        }
        byte[] stored = Files.readAllBytes(path(hash));
        return new java.io.ByteArrayInputStream(sealer.open(binding(hash), stored, "chunk " + hash));
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
