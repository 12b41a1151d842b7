package pm.agent.process;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import pm.agent.store.LogSegments;
import pm.v1.LogChunk;

/**
 * A process's stdout and stderr as one log addressed by byte offset: the last {@code retainBytes}
 * (at most {@link #MEMORY_BYTES}) in memory for followers and migrations, and, with a history, every
 * byte on disk up to the history's own limit. Offsets continue across migrations (the target starts
 * where the source stopped), so a follower can resume from the last offset it saw. Thread-safe, one
 * monitor: the scheduler's worker appends, gRPC threads read and subscribe; followers are called
 * under it, in order, and must not block (a gRPC stream's onNext only queues).
 */
public final class ProcessLog {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ProcessLog.class);
    /** What stays in memory however much is kept on disk. */
    static final int MEMORY_BYTES = 1 << 20;

    /** Receives chunks as they are appended; returns false to unsubscribe. */
    public interface Follower {
        boolean accept(LogChunk chunk);

        void closed();
    }

    private final int retainBytes;
    private final long keepBytes; // what the log keeps in all: the history's limit, or the memory's
    private final LogSegments history; // null: memory only
    /** Retained chunks from {@link #head} on; the ones before it are trimmed and go in batches (see {@link #trim}). */
    private final List<LogChunk> chunks = new ArrayList<>();

    private int head;
    private final List<Follower> followers = new ArrayList<>();
    private long start;
    private long end;
    private long retained;
    private boolean closed;
    /** The furthest offset a reader has been given (output backpressure counts from there). */
    private long taken;
    /** With output backpressure: the unread bytes at which the guest must wait; 0 when off. */
    private volatile long unreadLimit;

    private Runnable onRoom = () -> {};

    /** Memory only (tests, warm-up runs). */
    public ProcessLog(long startOffset, int retainBytes) {
        this(startOffset, retainBytes, null);
    }

    /** Output from {@code startOffset} on; {@code history}'s bytes from there on are dropped (a restore redoes them). */
    ProcessLog(long startOffset, int retainBytes, LogSegments history) {
        this.start = startOffset;
        this.end = startOffset;
        this.taken = startOffset;
        this.retainBytes = Math.min(retainBytes, MEMORY_BYTES);
        this.keepBytes = history == null ? this.retainBytes : retainBytes;
        this.history = history;
        if (history != null) {
            history.truncate(startOffset);
        }
    }

    /** The log {@code history} holds from an earlier run of this agent, as it is (nothing in memory). */
    static ProcessLog reopened(int retainBytes, LogSegments history) {
        return new ProcessLog(history.end(), retainBytes, history);
    }

    /** A log that continues another agent's: {@code tail} is what it retained, ending at {@code endOffset}. */
    ProcessLog(List<LogChunk> tail, long endOffset, int retainBytes) {
        this(tail, endOffset, retainBytes, null, Long.MIN_VALUE);
    }

    /**
     * As above, the tail also written to {@code history} (which starts over), but for the chunks that
     * end at or before {@code historyEnd}: those are there already.
     */
    ProcessLog(List<LogChunk> tail, long endOffset, int retainBytes, LogSegments history, long historyEnd) {
        this(endOffset, retainBytes, history);
        tail = contiguousTo(tail, endOffset);
        if (history != null) {
            for (LogChunk c : tail) {
                if (c.getOffset() + c.getData().size() > historyEnd) {
                    byte[] data = c.getData().toByteArray();
                    history.append(c.getStream(), c.getOffset(), data, 0, data.length);
                }
            }
        }
        chunks.addAll(tail);
        tail.forEach(c -> retained += c.getData().size());
        start = tail.isEmpty() ? endOffset : tail.get(0).getOffset();
        taken = start; // what it brought along counts as unread
        trim();
    }

    /**
     * The longest run of {@code tail} that ends at {@code endOffset} without a hole, overlaps cut off:
     * a log with a hole would serve bytes at the wrong offsets, so what is before a hole is dropped, and said.
     */
    static List<LogChunk> contiguousTo(List<LogChunk> tail, long endOffset) {
        java.util.ArrayDeque<LogChunk> run = new java.util.ArrayDeque<>();
        long expectedEnd = endOffset;
        for (int i = tail.size() - 1; i >= 0; i--) {
            LogChunk c = tail.get(i);
            long end = c.getOffset() + c.getData().size();
            if (c.getOffset() >= expectedEnd) {
                continue; // all of it repeats what follows
            }
            if (end < expectedEnd) {
                LOG.warn("output log arrived with a hole between offsets " + end + " and " + expectedEnd
                        + "; it is served from " + expectedEnd + " on");
                break;
            }
            run.addFirst(
                    end == expectedEnd
                            ? c
                            : c.toBuilder()
                                    .setData(c.getData().substring(0, (int) (expectedEnd - c.getOffset())))
                                    .build());
            expectedEnd = c.getOffset();
        }
        return List.copyOf(run);
    }

    /** Where the guest's {@code stream} writes go: appended, and with backpressure, ready only while there is room. */
    pm.runtime.wasi.OutputSink sink(LogChunk.Stream stream) {
        return new pm.runtime.wasi.OutputSink() {
            @Override
            public void write(byte[] bytes, int offset, int length) {
                append(stream, bytes, offset, length);
            }

            @Override
            public boolean ready() {
                return unreadLimit == 0 || hasRoom(); // no lock on every write of a process without backpressure
            }
        };
    }

    /**
     * Output is never dropped from now on: while half of what the log keeps is unread, its sinks are not
     * ready (the guest waits in its write); {@code onRoom} runs when a reader makes room again (it may
     * run under this log's monitor: it must only hand the wake to another thread).
     */
    synchronized void holdUnread(Runnable onRoom) {
        this.unreadLimit = Math.max(1, keepBytes / 2);
        this.onRoom = onRoom;
    }

    private synchronized boolean hasRoom() {
        return unreadLimit == 0 || end - Math.max(taken, start()) < unreadLimit;
    }

    /** A reader was given the output up to {@code offset}. */
    public void taken(long offset) {
        Runnable wake = null;
        synchronized (this) {
            if (offset > taken) {
                boolean had = hasRoom();
                taken = Math.min(offset, end);
                if (!had && hasRoom()) {
                    wake = onRoom;
                }
            }
        }
        if (wake != null) {
            wake.run();
        }
    }

    /** What is retained, oldest first: it travels with the process when it migrates. */
    synchronized List<LogChunk> retainedChunks() {
        return List.copyOf(kept());
    }

    /** The retained chunks, oldest first (a view: under the monitor only). */
    private List<LogChunk> kept() {
        return chunks.subList(head, chunks.size());
    }

    /** What is retained from {@code offset} on (a chunk boundary an earlier call ended at), oldest first. */
    public synchronized List<LogChunk> retainedChunksFrom(long offset) {
        int i = chunks.size();
        while (i > head && chunks.get(i - 1).getOffset() >= offset) {
            i--;
        }
        return List.copyOf(chunks.subList(i, chunks.size()));
    }

    synchronized void append(LogChunk.Stream stream, byte[] bytes, int offset, int length) {
        if (length == 0) {
            return;
        }
        LogChunk chunk = LogChunk.newBuilder()
                .setStream(stream)
                .setData(ByteString.copyFrom(bytes, offset, length))
                .setOffset(end)
                .build();
        if (history != null) {
            history.append(stream, end, bytes, offset, length);
        }
        chunks.add(chunk);
        end += length;
        retained += length;
        trim();
        followers.removeIf(f -> !f.accept(chunk));
    }

    private void trim() {
        while (retained > retainBytes && chunks.size() - head > 1) {
            LogChunk dropped = chunks.set(head++, null);
            retained -= dropped.getData().size();
            start = dropped.getOffset() + dropped.getData().size();
        }
        // Removing from an array list's front moves the rest: done once for many, not on every append
        // (a chatty process holds tens of thousands of chunks; each write shifted them all).
        if (head >= 1024 && head >= chunks.size() / 2) {
            chunks.subList(0, head).clear();
            head = 0;
        }
    }

    /** The offset the next byte will have. */
    public synchronized long end() {
        return end;
    }

    /** The oldest offset still kept, on disk or in memory. */
    public synchronized long start() {
        return history == null ? start : Math.min(start, history.start());
    }

    /** The oldest offset kept in memory: older output is read with {@link #readHistory}. */
    public synchronized long memoryStart() {
        return start;
    }

    /**
     * Sends the output of {@code [from, to)} kept on disk, outside the monitor (the process keeps
     * writing; {@code sink} may wait for its reader); returns the offset reached.
     */
    public long readHistory(long from, long to, java.util.function.Consumer<LogChunk> sink) {
        return history == null || from >= to ? from : history.read(from, to, sink);
    }

    /** Every byte kept, on disk and in memory, oldest first (a migration sends it ahead of the freeze). */
    public void forEachKept(java.util.function.Consumer<LogChunk> sink) {
        long memStart = memoryStart();
        long from = readHistory(start(), memStart, sink);
        retainedChunksFrom(from).forEach(sink);
    }

    /** Buffered output to disk now (a reader or a checkpoint needs it there). */
    public void flush() {
        if (history != null) {
            history.flush();
        }
    }

    /** The process is gone from this agent: so is its output on disk. */
    public void delete() {
        if (history != null) {
            history.delete();
        }
    }

    /**
     * Sends what is kept from {@code from} on and, if {@code follow} and the log is open, everything
     * appended later, in order. Returns whether the log is still open.
     */
    public synchronized boolean read(long from, Follower sink, boolean follow) {
        if (from < start && history != null) {
            // trimmed while the caller read the history: the little that went is on disk
            long[] at = {from};
            history.read(from, start, c -> {
                if (sink.accept(c)) {
                    at[0] = c.getOffset() + c.getData().size();
                }
            });
            from = Math.max(from, at[0]);
        }
        for (LogChunk c : kept()) {
            long cEnd = c.getOffset() + c.getData().size();
            if (cEnd <= from) {
                continue;
            }
            if (c.getOffset() < from) {
                int skip = (int) (from - c.getOffset());
                c = c.toBuilder()
                        .setData(c.getData().substring(skip))
                        .setOffset(from)
                        .build();
            }
            if (!sink.accept(c)) {
                return !closed;
            }
        }
        if (follow && !closed) {
            followers.add(sink);
        }
        return !closed;
    }

    public synchronized void unsubscribe(Follower f) {
        followers.remove(f);
    }

    /**
     * The process left this agent, which keeps its copy (and this log) in case it runs here again:
     * followers are told, as by {@link #close}, so they go on at the new owner; the log stays writable.
     */
    public synchronized void endFollowers() {
        followers.forEach(Follower::closed);
        followers.clear();
    }

    /** No more output here (the process ended or left this agent): followers are told and dropped. */
    public synchronized void close() {
        if (history != null) {
            history.close(); // written out, and no descriptor held for a log nothing writes to any more
        }
        closed = true;
        followers.forEach(Follower::closed);
        followers.clear();
    }
}
