package pm.agent.store;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import pm.v1.LogChunk;

/**
 * A process's output on disk, beyond what its log keeps in memory: records ({@code stream:1 length:4
 * data}) appended in offset order to segment files named by the offset of their first byte; when the
 * whole exceeds {@code limitBytes}, the oldest segments go. A crash may cut the last record short: it is
 * dropped on open. Appends are buffered and written out by {@link #flush}.
 *
 * <p>Threads: one writer at a time (the owner's monitor); {@link #read} may run beside it on ranges
 * that were flushed (a segment deleted meanwhile reads as a gap). No descriptor is held between writes:
 * each write-out opens the segment, appends and closes it, so a log nothing writes to costs nothing.
 */
public final class LogSegments {
    private static final int HEADER = 5;
    private static final int MAX_CHUNK = 64 << 10;

    private final Path dir;
    private final long limitBytes;
    private final long segmentBytes;
    private final List<Long> starts = new ArrayList<>(); // oldest first
    private long end;
    private long activeBytes;
    private final ByteBuffer pending = ByteBuffer.allocate(64 << 10);

    private LogSegments(Path dir, long limitBytes) {
        this.dir = dir;
        this.limitBytes = limitBytes;
        this.segmentBytes = Math.max(64 << 10, limitBytes / 4);
    }

    /** The segments under {@code dir} (created if missing), keeping at most about {@code limitBytes} of output. */
    public static LogSegments open(Path dir, long limitBytes) {
        LogSegments s = new LogSegments(dir, limitBytes);
        try {
            if (Files.isDirectory(dir)) { // made by the first append: asking about a log creates nothing
                try (var files = Files.list(dir)) {
                    files.map(p -> p.getFileName().toString())
                            .filter(n -> n.endsWith(".seg"))
                            .map(n -> Long.parseLong(n.substring(0, n.length() - 4)))
                            .sorted()
                            .forEach(s.starts::add);
                }
            }
            s.end = s.starts.isEmpty() ? 0 : s.starts.get(s.starts.size() - 1) + s.repairLast();
        } catch (IOException | NumberFormatException e) {
            throw new UncheckedIOException(
                    "cannot open the output log under " + dir,
                    e instanceof IOException io ? io : new IOException(e.getMessage(), e));
        }
        return s;
    }

    /** Cuts a record the last run left half written; returns the data bytes the last segment holds. */
    private long repairLast() throws IOException {
        Path last = segment(starts.get(starts.size() - 1));
        try (FileChannel ch = FileChannel.open(last, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long[] scanned = scan(ch, null, 0, Long.MAX_VALUE, starts.get(starts.size() - 1));
            ch.truncate(scanned[0]);
            activeBytes = scanned[0];
            return scanned[1];
        }
    }

    private Path segment(long start) {
        return dir.resolve(String.format("%020d.seg", start));
    }

    /** The oldest offset held on disk (equal to {@link #end} when nothing is). */
    public synchronized long start() {
        return starts.isEmpty() ? end : starts.get(0);
    }

    /** The offset after the last byte appended. */
    public synchronized long end() {
        return end;
    }

    /**
     * Appends output at {@code offset}. Output that starts inside what the disk holds replaces what
     * follows that offset and keeps what is before it (two replica pushes that crossed, a push that
     * asked for the end before another one extended it). Output that starts past the end, or before
     * the start, begins the disk over at that offset: the bytes between were never sent.
     */
    public synchronized void append(LogChunk.Stream stream, long offset, byte[] bytes, int off, int len) {
        try {
            if (offset < end && !starts.isEmpty() && offset > starts.get(0)) {
                truncate(offset);
            }
            if (offset != end || starts.isEmpty()) {
                resetAt(offset);
            }
            if (activeBytes >= segmentBytes) {
                startSegment(end);
            }
            if (pending.remaining() < HEADER + len) {
                flush();
            }
            if (HEADER + len > pending.capacity()) {
                ByteBuffer record = ByteBuffer.allocate(HEADER + len);
                record.put((byte) stream.getNumber())
                        .putInt(len)
                        .put(bytes, off, len)
                        .flip();
                writeFully(record);
            } else {
                pending.put((byte) stream.getNumber()).putInt(len).put(bytes, off, len);
            }
            activeBytes += HEADER + len;
            end += len;
            dropOldest();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the output log under " + dir, e);
        }
    }

    /** Drops everything at and after {@code offset} (the process restarts from a checkpoint taken there); what is before stays. */
    public synchronized void truncate(long offset) {
        if (offset >= end) {
            return;
        }
        if (starts.isEmpty() || offset <= starts.get(0)) {
            resetAt(offset);
            return;
        }
        try {
            flush();
            while (starts.get(starts.size() - 1) > offset) {
                Files.deleteIfExists(segment(starts.remove(starts.size() - 1)));
            }
            long base = starts.get(starts.size() - 1);
            ByteBuffer header = ByteBuffer.allocate(HEADER);
            try (FileChannel ch = FileChannel.open(segment(base), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long pos = 0;
                long at = base;
                while (true) {
                    header.clear();
                    if (ch.read(header, pos) < HEADER) {
                        break; // offset is at the end of what this segment holds
                    }
                    header.flip();
                    byte stream = header.get();
                    int len = header.getInt();
                    if (at + len > offset) {
                        // the record straddles the cut: keep its first part as a record of its own
                        ByteBuffer part = ByteBuffer.allocate((int) (offset - at));
                        ch.read(part, pos + HEADER);
                        ch.truncate(pos);
                        if (part.position() > 0) {
                            ch.write(
                                    ByteBuffer.allocate(HEADER)
                                            .put(stream)
                                            .putInt(part.position())
                                            .flip(),
                                    pos);
                            ch.write(part.flip(), pos + HEADER);
                            pos += HEADER + part.limit();
                        }
                        break;
                    }
                    pos += HEADER + len;
                    at += len;
                }
                ch.truncate(pos);
                activeBytes = pos;
            }
            end = offset;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot cut the output log under " + dir + " at " + offset, e);
        }
    }

    private void resetAt(long offset) {
        try {
            pending.clear();
            for (long s : starts) {
                Files.deleteIfExists(segment(s));
            }
            starts.clear();
            end = offset;
            startSegment(offset);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reset the output log under " + dir, e);
        }
    }

    private void startSegment(long at) throws IOException {
        flush();
        Files.createDirectories(dir);
        Files.write(segment(at), new byte[0]); // created (or emptied) now: its name says where it starts
        starts.add(at);
        activeBytes = 0;
    }

    private void dropOldest() throws IOException {
        while (starts.size() > 1 && end - starts.get(1) >= limitBytes) {
            Files.deleteIfExists(segment(starts.remove(0)));
        }
    }

    /** Writes buffered records to the file (not forced: a crash may lose the last moments, which a restore redoes). */
    public synchronized void flush() {
        if (pending.position() == 0) {
            return;
        }
        try {
            pending.flip();
            writeFully(pending);
            pending.clear();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the output log under " + dir, e);
        }
    }

    private void writeFully(ByteBuffer b) throws IOException {
        try (FileChannel ch = FileChannel.open(
                segment(starts.get(starts.size() - 1)), StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
    }

    /**
     * Sends what the disk holds of {@code [from, to)} to {@code sink}, in order, records of one stream
     * merged into chunks of up to 64 KiB. Returns the offset it got to (below {@code to} if the disk
     * holds less).
     */
    public long read(long from, long to, Consumer<LogChunk> sink) {
        if (from >= to) {
            return from;
        }
        List<Long> segments;
        synchronized (this) {
            flush();
            segments = List.copyOf(starts);
        }
        long at = from;
        for (int i = 0; i < segments.size() && at < to; i++) {
            long segStart = segments.get(i);
            long segEnd = i + 1 < segments.size() ? segments.get(i + 1) : Long.MAX_VALUE;
            if (segEnd <= at) {
                continue;
            }
            if (segStart > at) {
                return at; // a gap: older output went meanwhile
            }
            try (FileChannel ch = FileChannel.open(segment(segStart), StandardOpenOption.READ)) {
                at = scan(ch, sink, at, to, segStart)[1] + segStart;
            } catch (NoSuchFileException e) {
                return at;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the output log under " + dir, e);
            }
        }
        return Math.min(at, to);
    }

    /**
     * Walks the records of one segment starting at {@code base}; sends the parts within {@code [from, to)}
     * if {@code sink} is set. Returns {file bytes of whole records, data bytes up to where it stopped}.
     */
    private static long[] scan(FileChannel ch, Consumer<LogChunk> sink, long from, long to, long base)
            throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        long pos = 0;
        long offset = base;
        LogChunk.Builder merged = null;
        while (offset < to) {
            header.clear();
            if (ch.read(header, pos) < HEADER || header.flip().remaining() < HEADER) {
                break;
            }
            int stream = header.get();
            int len = header.getInt();
            if (len < 0 || pos + HEADER + len > ch.size()) {
                break; // cut short by a crash
            }
            long recEnd = offset + len;
            if (sink != null && recEnd > from) {
                long skip = Math.max(0, from - offset);
                int take = (int) Math.min(len - skip, to - offset - skip);
                ByteBuffer data = ByteBuffer.allocate(take);
                ch.read(data, pos + HEADER + skip);
                LogChunk.Stream s = LogChunk.Stream.forNumber(stream);
                if (merged != null
                        && (merged.getStream() != s || merged.getData().size() + take > MAX_CHUNK)) {
                    sink.accept(merged.build());
                    merged = null;
                }
                ByteString bytes = ByteString.copyFrom(data.flip());
                merged = merged == null
                        ? LogChunk.newBuilder()
                                .setStream(s)
                                .setOffset(offset + skip)
                                .setData(bytes)
                        : merged.setData(merged.getData().concat(bytes));
            }
            pos += HEADER + len;
            offset = recEnd;
        }
        if (merged != null) {
            sink.accept(merged.build());
        }
        return new long[] {pos, Math.min(offset, to) - base};
    }

    /** Removes the whole log from disk. */
    public synchronized void delete() {
        try {
            pending.clear();
            for (long s : starts) {
                Files.deleteIfExists(segment(s));
            }
            starts.clear();
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the output log under " + dir, e);
        }
    }

    /** Writes out what is buffered; nothing else is held open. */
    public synchronized void close() {
        flush();
    }
}
