package pm.agent.store;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.agent.store.crypto.ClusterKeys;
import pm.runtime.StateFormatException;
import pm.runtime.image.ImageFrames;
import pm.v1.ImageHeader;

/**
 * The agent's checkpoints of its processes, on disk. An image, full or incremental, is split into
 * its framed chunks ({@link ImageFrames}); each chunk goes to a content-addressed {@link
 * ChunkStore}, so the page groups a process did not change since its last checkpoint are not
 * written again; then a manifest naming the chunks in order is published. All state is on disk:
 * a new instance on the same directory, after a restart, sees every checkpoint.
 *
 * <pre>
 * dir/LOCK                            locked while a store is open on dir (one at a time)
 * dir/chunks/ab/abcdef...             framed chunks by SHA-256
 * dir/processes/P/00000000000000000007.manifest
 *                                     one per checkpoint, numbered in the order they were put;
 *                                     P is the hex SHA-256 of the process id, never the id itself
 * </pre>
 *
 * <p><b>Sealed.</b> Opened with image keys ({@link ClusterKeys}), the store seals every chunk and
 * manifest it writes under the current key (AES-256-GCM; see {@link ChunkStore} and {@link
 * Manifests}) and opens what older keys in the ring sealed. A chunk that fails authentication
 * fails the restore reading it ({@link CorruptCheckpointException}) before any of the image is
 * believed; data sealed under a key not in the ring raises {@link
 * pm.agent.store.crypto.UnknownKeyException}, never "absent", so nothing is collected or
 * restarted for want of a key. A store is either sealed or plain: each refuses the other's files.
 *
 * <p><b>Crashes.</b> A put writes every new chunk under a temporary name, fsyncs it and renames
 * it (on the I/O threads, while the image's next chunks are read), then fsyncs the chunks'
 * directories; once all are durable it writes the manifest under a temporary name, fsyncs it,
 * renames it into place and fsyncs the directory. A crash at any point leaves the earlier checkpoints as they were and the new one
 * either whole or absent (its chunks, if any, are garbage for {@link #collectGarbage}). A manifest
 * carries a checksum; one that fails it is logged and treated as absent.
 *
 * <p><b>Threads.</b> Any thread may call any method. Puts, deletes and retains of one process
 * run one at a time (a lock per process, striped); of different processes, in parallel. They all
 * hold {@link #gcLock} shared and {@link #collectGarbage} holds it exclusively, because its sweep
 * could otherwise delete a chunk that a put found present and is about to name in its manifest.
 * Reads take no lock: manifests are immutable once published and appear atomically. A stream from
 * {@link #open} reads chunks lazily, so deleting that process and collecting garbage while it is
 * being read makes it fail. Chunk files are written on the I/O executor, never more than a few per
 * put at a time; a put returns only after its writes have ended. {@link #close} releases the
 * directory; call it after the last use.
 */
public final class CheckpointStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CheckpointStore.class);
    /** Chunk bytes a put holds while they are hashed and written: 16 page groups. */
    private static final int BYTES_IN_FLIGHT = 64 << 20;
    /**
     * Threads that hash and write chunks. They mostly wait on fsync, and on a journalling file
     * system concurrent fsyncs share journal commits: on ext4 on the 2-CPU build VM, 64 files of
     * 4 MiB (write, fsync, rename each) took no longer than one 256 MiB file when written by 8
     * threads, and about 20 % longer by 2.
     */
    private static final int IO_THREADS = 8;

    private enum State {
        OPEN,
        CLOSED
    }

    private final AtomicReference<State> state = new AtomicReference<>(State.OPEN);
    private final Path dir;
    private final Manifests manifests;
    private final ChunkStore chunks;
    private final Clock clock;
    private final FileChannel lockFile;
    private final Executor io;
    private final ExecutorService ownedIo;
    private final ReentrantReadWriteLock gcLock = new ReentrantReadWriteLock();
    private final Lock[] processLocks = new Lock[64];

    /** Opens (creating if need be) the store in {@code dir}, with its own I/O threads. */
    public CheckpointStore(Path dir) throws IOException {
        this(dir, Clock.systemUTC());
    }

    /** Opens the store in {@code dir}, sealed under {@code keys} (plain if {@link ClusterKeys#NONE}), with its own I/O threads. */
    public CheckpointStore(Path dir, ClusterKeys keys) throws IOException {
        this(dir, Clock.systemUTC(), ioThreads(), true, keys);
    }

    /** Opens the store in {@code dir}; {@code clock} stamps checkpoints. Owns its I/O threads. */
    public CheckpointStore(Path dir, Clock clock) throws IOException {
        this(dir, clock, ioThreads(), true, ClusterKeys.NONE);
    }

    /**
     * Opens the store in {@code dir}; {@code clock} stamps checkpoints and {@code io} writes chunks
     * (several threads let several fsyncs be in flight); the caller keeps ownership of {@code io}.
     */
    public CheckpointStore(Path dir, Clock clock, Executor io) throws IOException {
        this(dir, clock, io, false, ClusterKeys.NONE);
    }

    private CheckpointStore(Path dir, Clock clock, Executor io, boolean ownsIo, ClusterKeys keys) throws IOException {
        this.dir = dir;
        this.clock = Objects.requireNonNull(clock);
        this.io = Objects.requireNonNull(io);
        this.ownedIo = ownsIo ? (ExecutorService) io : null;
        FileChannel lockFile = null;
        try {
            Files.createDirectories(dir);
            lockFile = FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = lockFile.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new StoreException("checkpoint store " + dir + " is already open, in this or another process");
            }
            this.manifests = new Manifests(dir.resolve("processes"), keys);
            this.chunks = new ChunkStore(dir.resolve("chunks"), keys);
        } catch (IOException | RuntimeException e) {
            if (lockFile != null) {
                lockFile.close();
            }
            shutdownIo();
            throw e;
        }
        this.lockFile = lockFile;
        for (int i = 0; i < processLocks.length; i++) {
            processLocks[i] = new ReentrantLock();
        }
    }

    /**
     * Stores {@code image} as the next checkpoint of {@code processId}, with {@code attachment}
     * kept beside it as given. An increment is refused unless its base is a checkpoint of the same
     * process whose chain is whole. The image is checked for framing and its header's checksum,
     * not for its contents: a restore does that. If this throws, no checkpoint was added.
     *
     * @throws StateFormatException the image is not one, or is cut short (the runtime's error)
     * @throws MissingBaseException an increment whose base this process has no whole chain for
     * @throws CheckpointExistsException this process has a checkpoint of this image's id already
     * @throws IOException reading the image or writing the store failed
     */
    public CheckpointRecord put(String processId, InputStream image, byte[] attachment) throws IOException {
        checkOpen();
        checkProcessId(processId);
        Objects.requireNonNull(attachment, "attachment (empty if none)");
        Lock processLock = processLock(processId);
        gcLock.readLock().lock();
        processLock.lock();
        try {
            ImageFrames.Splitter splitter = ImageFrames.split(image);
            ImageFrames.Frame first = splitter.next();
            if (!first.isHeader()) {
                throw new StateFormatException("image does not start with its header");
            }
            ImageHeader header = ImageFrames.header(first);
            String id = header.getImageId();
            String base = header.getBaseImageId();
            if (id.isEmpty()) {
                throw new StateFormatException("image has no id");
            }
            List<Manifest> existing = manifests.of(processId);
            if (existing.stream().anyMatch(m -> m.checkpointId().equals(id))) {
                throw new CheckpointExistsException("process " + processId + " already has checkpoint " + id);
            }
            if (!base.isEmpty() && Manifests.chain(existing, base) == null) {
                throw new MissingBaseException("checkpoint " + id + " is an increment of checkpoint " + base
                        + ", which the store does not hold whole for process " + processId);
            }
            byte[] preamble = splitter.preamble();
            List<Manifest.Chunk> refs = new ArrayList<>();
            long bytes = preamble.length;
            long newBytes = 0;
            try (ChunkStore.Batch batch = chunks.batch(io, BYTES_IN_FLIGHT)) {
                for (ImageFrames.Frame f = first; f != null; f = splitter.next()) {
                    batch.add(f.bytes());
                }
                for (ChunkStore.Stored c : batch.finish()) {
                    refs.add(new Manifest.Chunk(c.hash(), c.length()));
                    bytes += c.length();
                    newBytes += c.fresh() ? c.length() : 0;
                }
            }
            Manifest manifest = new Manifest(
                    processId, id, base, clock.millis(), bytes, newBytes, attachment.clone(), preamble, refs);
            manifests.publish(manifest);
            return manifest.record();
        } finally {
            processLock.unlock();
            gcLock.readLock().unlock();
        }
    }

    /** The newest checkpoint of {@code processId} that can be opened, as far as its manifests tell. */
    public Optional<CheckpointRecord> latest(String processId) throws IOException {
        checkOpen();
        checkProcessId(processId);
        List<Manifest> all = manifests.of(processId);
        for (int i = all.size() - 1; i >= 0; i--) {
            if (Manifests.chain(all, all.get(i).checkpointId()) != null) {
                return Optional.of(all.get(i).record());
            }
        }
        return Optional.empty();
    }

    /** The checkpoints of {@code processId} that can be opened, as far as their manifests tell, oldest first. */
    public List<CheckpointRecord> list(String processId) throws IOException {
        checkOpen();
        checkProcessId(processId);
        List<Manifest> all = manifests.of(processId);
        List<CheckpointRecord> records = new ArrayList<>();
        for (Manifest m : all) {
            if (Manifests.chain(all, m.checkpointId()) != null) {
                records.add(m.record());
            }
        }
        return records;
    }

    /**
     * The images to restore {@code checkpointId} of {@code processId}: its full image first, then
     * each increment up to it, as streams ready for {@code WasiProcess.restore}. Every chunk is
     * checked present and of its recorded size first; they are read when the streams are.
     */
    public List<InputStream> open(String processId, String checkpointId) throws IOException {
        checkOpen();
        checkProcessId(processId);
        List<Manifest> all = manifests.of(processId);
        if (all.stream().noneMatch(m -> m.checkpointId().equals(checkpointId))) {
            throw new CheckpointNotFoundException("process " + processId + " has no checkpoint " + checkpointId);
        }
        List<Manifest> chain = Manifests.chain(all, checkpointId);
        if (chain == null) {
            throw new CorruptCheckpointException("checkpoint " + checkpointId + " of process " + processId
                    + " cannot be restored: a checkpoint it builds on is missing or corrupt");
        }
        for (Manifest m : chain) {
            for (Manifest.Chunk c : m.chunks()) {
                long size = chunks.size(c.hash());
                long expected = chunks.storedSize(c.length());
                if (size != expected) {
                    throw new CorruptCheckpointException(
                            "checkpoint " + m.checkpointId() + " of process " + processId + ": chunk " + c.hash()
                                    + (size < 0 ? " is missing" : " has " + size + " bytes, not " + expected));
                }
            }
        }
        List<InputStream> streams = new ArrayList<>();
        for (Manifest m : chain) {
            List<ImageFrames.FrameSource> sources = new ArrayList<>();
            for (Manifest.Chunk c : m.chunks()) {
                sources.add(() -> chunks.open(c.hash()));
            }
            streams.add(new BufferedInputStream(ImageFrames.join(m.preamble(), sources), 1 << 16));
        }
        return streams;
    }

    /** Every process with at least one readable checkpoint. */
    public Set<String> processes() throws IOException {
        checkOpen();
        return manifests.processIds();
    }

    /** Forgets every checkpoint of {@code processId}, newest first; its chunks go at the next collection. Says whether there were any. */
    public boolean delete(String processId) throws IOException {
        checkOpen();
        checkProcessId(processId);
        Lock processLock = processLock(processId);
        gcLock.readLock().lock();
        processLock.lock();
        try {
            return manifests.deleteAll(processId);
        } finally {
            processLock.unlock();
            gcLock.readLock().unlock();
        }
    }

    /**
     * Forgets the checkpoints of {@code processId} older than the full image that the latest
     * checkpoint's chain starts from; that chain, and anything newer, stays. Returns how many
     * manifests were removed (unreadable ones included). Their chunks go at the next collection.
     */
    public int retainLatestChain(String processId) throws IOException {
        checkOpen();
        checkProcessId(processId);
        Lock processLock = processLock(processId);
        gcLock.readLock().lock();
        processLock.lock();
        try {
            List<Manifest> all = manifests.of(processId);
            for (int i = all.size() - 1; i >= 0; i--) {
                List<Manifest> latestChain = Manifests.chain(all, all.get(i).checkpointId());
                if (latestChain != null) {
                    return manifests.deleteOlderThan(
                            processId, latestChain.get(0).checkpointId());
                }
            }
            return 0;
        } finally {
            processLock.unlock();
            gcLock.readLock().unlock();
        }
    }

    /**
     * Mark and sweep: deletes every chunk no readable manifest names, and the temporary files of
     * interrupted writes. Holds the store's write lock throughout, so puts, deletes and retains
     * wait for it (and it for them); reads go on. A manifest that cannot be read for an I/O error
     * stops the collection before anything is deleted; one that fails its checksum is already
     * treated as absent, so its chunks go.
     */
    public GcResult collectGarbage() throws IOException {
        checkOpen();
        gcLock.writeLock().lock();
        try {
            Set<String> live = manifests.liveChunks();
            int temps = manifests.deleteTemporaryFiles();
            temps += chunks.deleteTemporaryFiles();
            int deleted = 0;
            long freed = 0;
            int kept = 0;
            for (String hash : chunks.list()) {
                if (live.contains(hash)) {
                    kept++;
                } else {
                    freed += chunks.delete(hash);
                    deleted++;
                }
            }
            GcResult result = new GcResult(kept, deleted, freed, temps);
            log.info("checkpoint store {}: {}", dir, result);
            return result;
        } finally {
            gcLock.writeLock().unlock();
        }
    }

    /** Releases the directory for another store and stops the I/O threads it owns. Idempotent. */
    @Override
    public void close() throws IOException {
        if (state.compareAndSet(State.OPEN, State.CLOSED)) {
            shutdownIo();
            lockFile.close(); // releases the lock
        }
    }

    private void shutdownIo() {
        if (ownedIo != null) {
            ownedIo.shutdown();
        }
    }

    private static ExecutorService ioThreads() {
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(IO_THREADS, r -> {
            Thread t = new Thread(r, "checkpoint-store-io-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    private Lock processLock(String processId) {
        return processLocks[Math.floorMod(processId.hashCode(), processLocks.length)];
    }

    private static void checkProcessId(String processId) {
        if (processId == null || processId.isEmpty()) {
            throw new IllegalArgumentException("a process id must not be empty");
        }
    }

    private void checkOpen() {
        if (state.get() != State.OPEN) {
            throw new IllegalStateException("checkpoint store " + dir + " is closed");
        }
    }
}
