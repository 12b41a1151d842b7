package pm.agent;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import pm.v1.LogChunk;

/**
 * A process's stdout and stderr as one log addressed by byte offset, keeping the last
 * {@code retainBytes}. Offsets continue across migrations (the target starts where the source
 * stopped), so a follower can resume from the last offset it saw. Thread-safe, one monitor: the
 * scheduler's worker appends, gRPC threads read and subscribe; followers are called under it, in
 * order, and must not block (a gRPC stream's onNext only queues).
 */
final class ProcessLog {
    /** Receives chunks as they are appended; returns false to unsubscribe. */
    interface Follower {
        boolean accept(LogChunk chunk);

        void closed();
    }

    private final int retainBytes;
    private final List<LogChunk> chunks = new ArrayList<>();
    private final List<Follower> followers = new ArrayList<>();
    private long start;
    private long end;
    private long retained;
    private boolean closed;

    ProcessLog(long startOffset, int retainBytes) {
        this.start = startOffset;
        this.end = startOffset;
        this.retainBytes = retainBytes;
    }

    /** A log that continues another agent's: {@code tail} is what it retained, ending at {@code endOffset}. */
    ProcessLog(List<LogChunk> tail, long endOffset, int retainBytes) {
        this(endOffset, retainBytes);
        long expected = tail.isEmpty() ? endOffset : tail.get(0).getOffset();
        for (LogChunk c : tail) {
            if (c.getOffset() != expected) {
                return; // not contiguous: serve from endOffset only rather than a log with a hole
            }
            expected += c.getData().size();
        }
        if (expected != endOffset) {
            return;
        }
        chunks.addAll(tail);
        tail.forEach(c -> retained += c.getData().size());
        start = tail.isEmpty() ? endOffset : tail.get(0).getOffset();
        trim();
    }

    /** What is retained, oldest first: it travels with the process when it migrates. */
    synchronized List<LogChunk> retainedChunks() {
        return List.copyOf(chunks);
    }

    /** What is retained from {@code offset} on (a chunk boundary an earlier call ended at), oldest first. */
    synchronized List<LogChunk> retainedChunksFrom(long offset) {
        int i = chunks.size();
        while (i > 0 && chunks.get(i - 1).getOffset() >= offset) {
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
        chunks.add(chunk);
        end += length;
        retained += length;
        trim();
        followers.removeIf(f -> !f.accept(chunk));
    }

    private void trim() {
        while (retained > retainBytes && chunks.size() > 1) {
            LogChunk dropped = chunks.remove(0);
            retained -= dropped.getData().size();
            start = dropped.getOffset() + dropped.getData().size();
        }
    }

    /** The offset the next byte will have. */
    synchronized long end() {
        return end;
    }

    /** The oldest offset still kept. */
    synchronized long start() {
        return start;
    }

    /**
     * Sends what is kept from {@code from} on and, if {@code follow} and the log is open, everything
     * appended later, in order. Returns whether the log is still open.
     */
    synchronized boolean read(long from, Follower sink, boolean follow) {
        for (LogChunk c : chunks) {
            long cEnd = c.getOffset() + c.getData().size();
            if (cEnd <= from) {
                continue;
            }
            if (c.getOffset() < from) {
                int skip = (int) (from - c.getOffset());
                c = c.toBuilder().setData(c.getData().substring(skip)).setOffset(from).build();
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

    synchronized void unsubscribe(Follower f) {
        followers.remove(f);
    }

    /** No more output here (the process ended or left this agent): followers are told and dropped. */
    synchronized void close() {
        closed = true;
        followers.forEach(Follower::closed);
        followers.clear();
    }
}
