package pm.agent.migration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import pm.agent.store.StagingFile;

/**
 * Writes a migration's incoming pages to its staging file behind the stream, so receiving and
 * the disk overlap: {@link #write} queues a range of the memory being received and returns, and
 * waits only while more than {@code maxBacklogBytes} are queued (the disk is the slower side). A
 * range is written from the memory as it is when its turn comes; a later update of the same
 * bytes queues them again, so once the queue drains the file holds the memory's last content.
 * {@link #sync} completes when everything queued before it is written and forced.
 *
 * <p>Threads: one receiving thread calls {@link #write}, {@link #sync} and {@link #close}; one
 * writer thread (from {@code executor}) drains the queue. State is guarded by this object's monitor.
 */
final class StagingWriter {
    /** Written bytes left unforced before the writer forces them: bounds the work a sync has left. */
    private static final long FORCE_BYTES = 32L << 20;

    /** A range to write, or (with {@code synced}) a barrier to force at. */
    private record Item(byte[] memory, int from, int length, CompletableFuture<Void> synced) {}

    private final StagingFile file;
    private final long maxBacklogBytes;
    private final ArrayDeque<Item> queue = new ArrayDeque<>();
    private long queuedBytes;
    private RuntimeException failure;
    private boolean closed;

    StagingWriter(StagingFile file, Executor executor, long maxBacklogBytes) {
        this.file = file;
        this.maxBacklogBytes = maxBacklogBytes;
        executor.execute(this::drain);
    }

    /** Queues {@code memory[from, from + length)} for the file at offset {@code from}. */
    synchronized void write(byte[] memory, int from, int length) throws InterruptedException {
        while (failure == null && !closed && queuedBytes > maxBacklogBytes) {
            wait();
        }
        failIfBroken();
        queue.add(new Item(memory, from, length, null));
        queuedBytes += length;
        notifyAll();
    }

    /** Completes once everything queued so far is on disk (or exceptionally if the disk failed). */
    synchronized CompletableFuture<Void> sync() {
        CompletableFuture<Void> synced = new CompletableFuture<>();
        if (failure != null) {
            synced.completeExceptionally(failure);
        } else {
            queue.add(new Item(null, 0, 0, synced));
            notifyAll();
        }
        return synced;
    }

    /** Stops the writer after what is queued; the caller closes the file once a {@link #sync} completed or it gives up. */
    synchronized void close() {
        closed = true;
        notifyAll();
    }

    private void drain() {
        long unforced = 0;
        while (true) {
            Item item;
            synchronized (this) {
                while (queue.isEmpty() && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                item = queue.poll();
                if (item == null) {
                    return;
                }
            }
            try {
                if (item.synced != null) {
                    file.force();
                    unforced = 0;
                    item.synced.complete(null);
                    continue;
                }
                file.write(
                        item.memory, item.from, item.length); // sealed here, off the receiving thread, with image keys
                unforced += item.length;
                if (unforced >= FORCE_BYTES) {
                    file.force();
                    unforced = 0;
                }
            } catch (IOException | RuntimeException e) {
                fail(
                        e instanceof IOException io
                                ? new UncheckedIOException("cannot stage pages", io)
                                : (RuntimeException) e,
                        item);
                return;
            }
            synchronized (this) {
                queuedBytes -= item.length;
                notifyAll();
            }
        }
    }

    private synchronized void fail(RuntimeException e, Item current) {
        failure = e;
        if (current.synced != null) {
            current.synced.completeExceptionally(e);
        }
        for (Item item : queue) {
            if (item.synced != null) {
                item.synced.completeExceptionally(e);
            }
        }
        queue.clear();
        notifyAll();
    }

    private void failIfBroken() {
        if (failure != null) {
            throw failure;
        }
        if (closed) {
            throw new IllegalStateException("staging closed");
        }
    }
}
