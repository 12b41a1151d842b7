package pm.client.internal;

import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import pm.client.ClusterClientException;
import pm.client.ErrorCode;
import pm.client.StreamHandle;
import pm.v1.ClusterEvent;
import pm.v1.ClusterGrpc;
import pm.v1.EventsRequest;
import pm.v1.LogChunk;
import pm.v1.LogsRequest;

/**
 * A server stream that survives its coordinator: when it breaks with UNAVAILABLE (the leader died, a
 * new one is being elected, the owner is briefly unreachable), it asks again from the position after
 * the last item it delivered, through the router, which finds the new leader. Items carry their
 * position (a log's byte offset, an event's index), so the caller sees each once. It gives up when a
 * whole {@code patience} passes without a stream that delivers.
 *
 * <p>Threads: gRPC callbacks and the retry timer run one attempt at a time; {@code position} is
 * written only by the attempt that is delivering.
 */
public final class ResumingStream<Q, R> implements StreamHandle {
    private static final long RETRY_MILLIS = 250;

    /** Passes on what of {@code item} lies past {@code position} and answers the position after it. */
    interface Advance<R> {
        long deliver(R item, long position);
    }

    private final CoordinatorRouter router;
    private final MethodDescriptor<Q, R> method;
    private final LongFunction<Q> request;
    private final Advance<R> advance;
    private final Duration patience;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final AtomicReference<StreamHandle> current = new AtomicReference<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile long position;
    private volatile long lastProgressNanos;

    private ResumingStream(
            CoordinatorRouter router,
            MethodDescriptor<Q, R> method,
            LongFunction<Q> request,
            Advance<R> advance,
            long from,
            Duration patience) {
        this.router = router;
        this.method = method;
        this.request = request;
        this.advance = advance;
        this.patience = patience;
        this.position = from;
        this.lastProgressNanos = System.nanoTime();
    }

    /** {@code logs -f} from {@code fromOffset}: every byte once (a resumed stream may start earlier than asked). */
    public static StreamHandle logs(
            CoordinatorRouter router,
            String processId,
            long fromOffset,
            Consumer<? super LogChunk> consumer,
            Duration patience) {
        return new ResumingStream<>(
                        router,
                        ClusterGrpc.getLogsMethod(),
                        next -> LogsRequest.newBuilder()
                                .setProcessId(processId)
                                .setFollow(true)
                                .setFromOffset(next)
                                .build(),
                        (LogChunk chunk, long next) -> {
                            long end = chunk.getOffset() + chunk.getData().size();
                            if (end <= next) {
                                return next;
                            }
                            int skip = (int) Math.max(0, next - chunk.getOffset());
                            consumer.accept(
                                    skip == 0
                                            ? chunk
                                            : chunk.toBuilder()
                                                    .setOffset(next)
                                                    .setData(chunk.getData().substring(skip))
                                                    .build());
                            return end;
                        },
                        fromOffset,
                        patience)
                .start();
    }

    /**
     * Cluster events after {@code sinceIndex} (negative: the new ones only), each once; after a break it
     * resumes from the last index delivered, at whichever coordinator leads then.
     */
    public static StreamHandle events(
            CoordinatorRouter router,
            String processId,
            long sinceIndex,
            Consumer<? super ClusterEvent> consumer,
            Duration patience) {
        return new ResumingStream<>(
                        router,
                        ClusterGrpc.getEventsMethod(),
                        since -> {
                            EventsRequest.Builder b = EventsRequest.newBuilder().setProcessId(processId);
                            return (since < 0 ? b : b.setSinceIndex(since)).build();
                        },
                        (ClusterEvent e, long last) -> {
                            if (e.getIndex() != 0 && e.getIndex() <= last) {
                                return last;
                            }
                            consumer.accept(e);
                            return e.getIndex() == 0
                                    ? last
                                    : Math.max(last, e.getIndex()); // an unkept event has no place to resume from
                        },
                        sinceIndex,
                        patience)
                .start();
    }

    private ResumingStream<Q, R> start() {
        attempt();
        return this;
    }

    private void attempt() {
        if (closed.get()) {
            done.complete(null);
            return;
        }
        StreamHandle stream = router.serverStream(method, request.apply(position), null, this::deliver);
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

    private void deliver(R item) {
        long after = advance.deliver(item, position);
        if (after != position) {
            position = after;
            lastProgressNanos = System.nanoTime();
        }
    }

    private static boolean retryable(Throwable failure) {
        return failure instanceof ClusterClientException c && c.code() == ErrorCode.UNAVAILABLE;
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
