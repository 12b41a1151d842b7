package pm.agent.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
import pm.v1.ProcessRecord;

/**
 * What this agent must do with each process after a restart (see {@link ProcessRecord.Disposition}),
 * kept as an append-only journal ({@code records.log}) beside a compacted snapshot
 * ({@code records.snapshot}). A put or delete returns once it is durable; concurrent writers share
 * one fsync (group commit), so a burst of spawns costs a few fsyncs rather than two each. A torn
 * tail left by a crash is cut off when the journal is read. Reads come from memory.
 *
 * <p>Threads: any; appends are serialised by {@code this} (callers serialise per process), and one
 * writer at a time forces the journal while the others wait for it.
 */
public final class ProcessRecords {
    private static final byte PUT = 1;
    private static final byte DELETE = 2;
    /** The journal is folded into the snapshot once it grows past this. */
    private static final long COMPACT_BYTES = 8L << 20;

    private final Path dir;
    private final Path log;
    private final Path snapshot;
    private final Map<String, ProcessRecord> current = new ConcurrentHashMap<>();
    private final Object syncing = new Object();
    private volatile FileChannel journal;
    /** Journal bytes that came before the current journal file (compacted into the snapshot). */
    private long base;
    /** Bytes appended (complete writes) and bytes known durable, counted from the first journal; guarded by {@link #syncing}. */
    private long appended;

    private long durable;
    private boolean forcing;

    public ProcessRecords(Path dir) {
        this.dir = dir;
        this.log = dir.resolve("records.log");
        this.snapshot = dir.resolve("records.snapshot");
        try {
            Files.createDirectories(dir);
            replay(snapshot);
            replay(log);
            compact();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the process records in " + dir, e);
        }
    }

    void put(ProcessRecord record) {
        append(PUT, record.toByteArray(), () -> current.put(record.getProcessId(), record), true);
    }

    public void delete(String processId) {
        append(DELETE, processId.getBytes(StandardCharsets.UTF_8), () -> current.remove(processId), true);
    }

    /**
     * A delete that returns before it is durable: it is in the journal in order, and durable with
     * the next force (any later put or delete). Only for a record whose survival of a crash is
     * harmless, such as a HANDED_OFF record (a restart asks its target again and then drops it).
     */
    public void deleteEventually(String processId) {
        append(DELETE, processId.getBytes(StandardCharsets.UTF_8), () -> current.remove(processId), false);
    }

    public Optional<ProcessRecord> get(String processId) {
        return Optional.ofNullable(current.get(processId));
    }

    List<ProcessRecord> all() {
        return new ArrayList<>(current.values());
    }

    private void append(byte kind, byte[] payload, Runnable apply, boolean durably) {
        long end;
        try {
            synchronized (this) {
                journal.write(frame(kind, payload));
                apply.run();
                end = base + journal.position();
                synchronized (syncing) {
                    appended = end;
                }
                if (journal.position() > COMPACT_BYTES) {
                    compact();
                    return; // the snapshot is durable and holds this change
                }
            }
            if (durably) {
                awaitDurable(end);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record process state in " + dir, e);
        }
    }

    /** Returns once the journal is forced at least up to {@code end}; one caller forces for all waiting. */
    private void awaitDurable(long end) throws IOException {
        while (true) {
            long upTo;
            synchronized (syncing) {
                if (durable >= end) {
                    return;
                }
                if (forcing) {
                    try {
                        syncing.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted waiting for the journal to be forced", e);
                    }
                    continue;
                }
                forcing = true;
                upTo = appended; // every write counted here has completed, so this force covers it
            }
            boolean forced = false;
            try {
                journal.force(false);
                forced = true;
            } catch (java.nio.channels.ClosedChannelException compacted) {
                // A compaction replaced the journal meanwhile; its snapshot made everything durable.
            } finally {
                synchronized (syncing) {
                    forcing = false;
                    if (forced) {
                        durable = Math.max(durable, upTo);
                    }
                    syncing.notifyAll();
                }
            }
        }
    }

    private static ByteBuffer frame(byte kind, byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(kind);
        crc.update(payload);
        ByteBuffer b = ByteBuffer.allocate(9 + payload.length);
        b.putInt(payload.length)
                .putInt((int) crc.getValue())
                .put(kind)
                .put(payload)
                .flip();
        return b;
    }

    /** Applies every whole frame of {@code file}; stops at the first torn or corrupt one (a crash mid-append). */
    private void replay(Path file) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
        while (b.remaining() >= 9) {
            int length = b.getInt();
            int crc = b.getInt();
            byte kind = b.get();
            if (length < 0 || length > b.remaining()) {
                return;
            }
            byte[] payload = new byte[length];
            b.get(payload);
            CRC32C check = new CRC32C();
            check.update(kind);
            check.update(payload);
            if ((int) check.getValue() != crc) {
                return;
            }
            if (kind == PUT) {
                ProcessRecord r = ProcessRecord.parseFrom(payload);
                current.put(r.getProcessId(), r);
            } else if (kind == DELETE) {
                current.remove(new String(payload, StandardCharsets.UTF_8));
            }
        }
    }

    /**
     * Writes every current record to a new snapshot (temp, fsync, rename, fsync of the directory),
     * then starts an empty journal. A crash in between replays the old journal over the new
     * snapshot, which ends in the same state. The caller holds {@code this} (or is the constructor).
     */
    private void compact() throws IOException {
        Path temp = dir.resolve("records.snapshot.tmp");
        try (FileChannel ch = FileChannel.open(
                temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            for (ProcessRecord r : current.values()) {
                ch.write(frame(PUT, r.toByteArray()));
            }
            ch.force(true);
        }
        try {
            Files.move(temp, snapshot, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, snapshot, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
        if (journal != null) {
            base += journal.position();
            journal.close();
        }
        journal = FileChannel.open(
                log, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        journal.force(true);
        synchronized (syncing) {
            appended = base;
            durable = base;
            syncing.notifyAll();
        }
    }
}
