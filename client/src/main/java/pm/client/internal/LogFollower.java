package pm.client.internal;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import pm.client.ClusterClientException;
import pm.client.StreamHandle;
import pm.v1.ClusterGrpc;
import pm.v1.LogChunk;
import pm.v1.LogsRequest;

/**
 * {@code logs -f} that survives its coordinator: when the stream breaks with UNAVAILABLE (the leader died,
 * a new one is being elected, the owner is briefly unreachable), it asks again from the next byte it has not
 * delivered, through the router, which finds the new leader. Logs are addressed by offset, so the caller
 * sees every byte once. It gives up when a whole {@code patience} passes without a stream that delivers.
 *
 * <p>Threads: gRPC callbacks and the retry timer run one attempt at a time; {@code next} (the first byte
 * not yet delivered) is written only by the attempt that is delivering.
 */
public final class LogFollower implements StreamHandle {
    private static final long RETRY_MILLIS = 250;

    private final CoordinatorRouter router;
    private final String processId;
    private final Consumer<? super LogChunk> consumer;
    private final Duration patience;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final AtomicReference<StreamHandle> current = new AtomicReference<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile long next;
    private volatile long lastProgressNanos;

    public LogFollower(CoordinatorRouter router, String processId, long fromOffset, Consumer<? super LogChunk> consumer,
            Duration patience) {
        this.router = router;
        this.processId = processId;
        this.consumer = consumer;
        this.patience = patience;
        this.next = fromOffset;
        this.lastProgressNanos = System.nanoTime();
    }

    public LogFollower start() {
        attempt();
        return this;
    }

    private void attempt() {
        if (closed.get()) {
            done.complete(null);
            return;
        }
        LogsRequest request = LogsRequest.newBuilder().setProcessId(processId).setFollow(true).setFromOffset(next).build();
        StreamHandle stream = router.serverStream(ClusterGrpc.getLogsMethod(), request, null, this::deliver);
        current.set(stream);
        stream.done().whenComplete((ok, failure) -> {
            if (failure == null || closed.get()) {
                done.complete(null);
            } else if (retryable(failure) && System.nanoTime() - lastProgressNanos < patience.toNanos()) {
                Executor later = CompletableFuture.delayedExecutor(RETRY_MILLIS, TimeUnit.MILLISECONDS);
                later.execute(this::attempt);
            } else {
                done.completeExceptionally(failure);
            }
        });
    }

    /** Passes on the bytes from {@code next} on; a resumed stream may start earlier than asked. */
    private void deliver(LogChunk chunk) {
        long end = chunk.getOffset() + chunk.getData().size();
        if (end <= next) {
            return;
        }
        LogChunk fresh = chunk;
        if (chunk.getOffset() < next) {
            int skip = (int) (next - chunk.getOffset());
            fresh = chunk.toBuilder().setOffset(next).setData(chunk.getData().substring(skip)).build();
        }
        consumer.accept(fresh);
        next = end;
        lastProgressNanos = System.nanoTime();
    }

    private static boolean retryable(Throwable failure) {
        return failure instanceof ClusterClientException c && c.code() == Status.Code.UNAVAILABLE;
    }

    @Override
    public CompletableFuture<Void> done() {
        return done;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            StreamHandle s = current.get();
            if (s != null) {
                s.close();
            }
        }
    }
}
