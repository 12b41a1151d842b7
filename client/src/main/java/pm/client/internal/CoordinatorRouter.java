package pm.client.internal;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import pm.client.ClusterClientException;
import pm.client.CoordinatorUnreachableException;
import pm.client.ErrorCode;
import pm.client.StreamHandle;
import pm.v1.ClusterGrpc;
import pm.v1.LeaderInfo;
import pm.v1.LeaderRequest;

/**
 * Sends calls to the leading coordinator, following standbys' redirects and skipping coordinators that are
 * down (see {@link Route}), and remembers the last leader so the next call goes straight there. A call is
 * retried only before the server has answered anything: a unary call until it has a response, a server
 * stream until its first message, so a caller never sees a message twice. A unary call told that a leader is
 * being elected walks the coordinators again every 250 ms until its deadline.
 *
 * <p>Threads: any caller thread starts calls; gRPC's executor runs the callbacks that retry them. The
 * remembered leader is an {@link AtomicReference}; channels live in a concurrent map, one per address,
 * created on first use and shut down by {@link #close()}.
 */
public final class CoordinatorRouter implements AutoCloseable {
    private static final int STREAM_BUFFER_BYTES = 4 << 20;
    /** Image chunks and large lists arrive in one message each. */
    private static final int MAX_INBOUND_BYTES = 64 << 20;
    /** Between two walks over every coordinator, while none of them leads. */
    private static final long ROUND_PAUSE_MILLIS = 250;
    /** Names one logical call across its attempts (the coordinators answer a repeat with the first outcome). */
    public static final Metadata.Key<String> REQUEST_ID =
            Metadata.Key.of("pm-request-id", Metadata.ASCII_STRING_MARSHALLER);

    private final List<String> seeds;
    private final ChannelCredentials credentials;
    private final AtomicReference<String> leader;
    private final ConcurrentMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    public CoordinatorRouter(List<String> seeds, ChannelCredentials credentials) {
        this.seeds = List.copyOf(seeds);
        this.credentials = credentials;
        this.leader = new AtomicReference<>(this.seeds.get(0));
    }

    /**
     * Calls {@code method} on the leader; the future fails with a {@link ClusterClientException}. Every
     * attempt carries the same {@link #REQUEST_ID} header, so a coordinator that acted on an attempt whose
     * reply was lost answers a retry with that first outcome instead of acting twice.
     */
    public <Q, R> CompletableFuture<R> unary(MethodDescriptor<Q, R> method, Q request, Duration timeout) {
        CompletableFuture<R> result = new CompletableFuture<>();
        Metadata headers = new Metadata();
        headers.put(REQUEST_ID, UUID.randomUUID().toString());
        unaryAttempt(
                method,
                request,
                headers,
                System.nanoTime() + timeout.toNanos(),
                new Route(seeds, leader.get()),
                result);
        return result;
    }

    private <Q, R> void unaryAttempt(
            MethodDescriptor<Q, R> method,
            Q request,
            Metadata headers,
            long deadlineNanos,
            Route route,
            CompletableFuture<R> result) {
        String address = route.address();
        ClientCall<Q, R> call;
        try {
            CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(
                    Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            call = ClientInterceptors.intercept(channel(address), MetadataUtils.newAttachHeadersInterceptor(headers))
                    .newCall(method, options);
        } catch (ClusterClientException closedMeanwhile) {
            result.completeExceptionally(closedMeanwhile);
            return;
        }
        ClientCalls.asyncUnaryCall(call, request, new StreamObserver<>() {
            @Override
            public void onNext(R value) {
                leader.set(address);
                result.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                try {
                    Optional<String> next = route.next(Status.fromThrowable(t), Status.trailersFromThrowable(t));
                    if (next.isPresent()) {
                        unaryAttempt(method, request, headers, deadlineNanos, route, result);
                    } else {
                        result.completeExceptionally(StatusErrors.toException(Status.fromThrowable(t)));
                    }
                } catch (CoordinatorUnreachableException e) {
                    // Every coordinator was down or a standby. If one said a leader is being elected (that lasts
                    // until the old leader's session expires, and until the winner serves), walk them again while the
                    // call's deadline allows; otherwise (nobody there, or standbys naming each other) say so now.
                    if (route.electing()
                            && !closed.get()
                            && deadlineNanos - System.nanoTime() > TimeUnit.MILLISECONDS.toNanos(ROUND_PAUSE_MILLIS)) {
                        CompletableFuture.delayedExecutor(ROUND_PAUSE_MILLIS, TimeUnit.MILLISECONDS)
                                .execute(() -> unaryAttempt(
                                        method,
                                        request,
                                        headers,
                                        deadlineNanos,
                                        new Route(seeds, leader.get()),
                                        result));
                    } else {
                        result.completeExceptionally(e);
                    }
                } catch (ClusterClientException e) {
                    result.completeExceptionally(e);
                }
            }

            @Override
            public void onCompleted() {
                // onNext completed the future
            }
        });
    }

    /**
     * Streams {@code method}'s messages to {@code consumer} (on a gRPC thread, one at a time); a
     * {@code timeout} of null means none. If the consumer throws, the call is cancelled and the handle
     * fails with what it threw.
     */
    public <Q, R> StreamHandle serverStream(
            MethodDescriptor<Q, R> method, Q request, Duration timeout, Consumer<? super R> consumer) {
        ServerStream<Q, R> stream = new ServerStream<>(method, request, timeout, consumer);
        stream.attempt();
        return stream;
    }

    /**
     * The leader's address, for a call that cannot be replayed on a redirect (a client stream): asks
     * {@code Leader}, which standbys answer as well.
     */
    public String leaderAddress(Duration timeout) {
        LeaderInfo info;
        try {
            info = unary(ClusterGrpc.getLeaderMethod(), LeaderRequest.getDefaultInstance(), timeout)
                    .join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof ClusterClientException c ? c : e;
        }
        if (info.getIsLeader()) {
            return leader.get();
        }
        if (info.getLeaderAddress().isEmpty()) {
            throw StatusErrors.unreachable(
                    List.of(leader.get()), Status.UNAVAILABLE.withDescription("no coordinator is the leader yet"));
        }
        return info.getLeaderAddress();
    }

    /**
     * A call on the channel to {@code address}, for calls that cannot be replayed (a client stream). It counts
     * as ready until 4 MiB are queued, so 1 MiB messages go out back to back rather than one per round trip.
     */
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, String address, Duration timeout) {
        CallOptions options = CallOptions.DEFAULT.withOnReadyThreshold(STREAM_BUFFER_BYTES);
        if (timeout != null) {
            options = options.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        return channel(address).newCall(method, options);
    }

    private ManagedChannel channel(String address) {
        if (closed.get()) {
            throw new ClusterClientException(ErrorCode.CANCELLED, "the client is closed", null);
        }
        return channels.computeIfAbsent(
                address,
                a -> NettyChannelBuilder.forTarget(a, credentials)
                        .maxInboundMessageSize(MAX_INBOUND_BYTES)
                        .build());
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        channels.values().forEach(ManagedChannel::shutdownNow);
        for (ManagedChannel c : channels.values()) {
            try {
                c.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * One server stream across its attempts. {@code started} turns true with the first message, after
     * which a failure is final. The current call is kept so {@link #close()} can cancel it.
     */
    private final class ServerStream<Q, R> implements StreamHandle {
        private final MethodDescriptor<Q, R> method;
        private final Q request;
        private final Duration timeout;
        private final Consumer<? super R> consumer;
        private final Route route;
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private final AtomicReference<ClientCall<Q, R>> call = new AtomicReference<>();
        private final AtomicBoolean cancelled = new AtomicBoolean();
        private volatile boolean started;
        private volatile Throwable consumerFailure;

        ServerStream(MethodDescriptor<Q, R> method, Q request, Duration timeout, Consumer<? super R> consumer) {
            this.method = method;
            this.request = request;
            this.timeout = timeout;
            this.consumer = consumer;
            this.route = new Route(seeds, leader.get());
        }

        void attempt() {
            String address = route.address();
            ClientCall<Q, R> c;
            try {
                c = newCall(method, address, timeout);
            } catch (ClusterClientException closedMeanwhile) {
                done.completeExceptionally(closedMeanwhile);
                return;
            }
            call.set(c);
            ClientCalls.asyncServerStreamingCall(c, request, new StreamObserver<>() {
                @Override
                public void onNext(R value) {
                    if (!started) {
                        started = true;
                        leader.set(address);
                    }
                    try {
                        consumer.accept(value);
                    } catch (RuntimeException | Error e) {
                        consumerFailure = e;
                        c.cancel("the consumer failed", e);
                    }
                }

                @Override
                public void onError(Throwable t) {
                    if (consumerFailure != null) {
                        done.completeExceptionally(consumerFailure);
                        return;
                    }
                    if (cancelled.get()) {
                        done.complete(null);
                        return;
                    }
                    Status status = Status.fromThrowable(t);
                    try {
                        if (!started
                                && route.next(status, Status.trailersFromThrowable(t))
                                        .isPresent()) {
                            attempt();
                            return;
                        }
                        done.completeExceptionally(StatusErrors.toException(status));
                    } catch (ClusterClientException e) {
                        done.completeExceptionally(e);
                    }
                }

                @Override
                public void onCompleted() {
                    leader.set(address);
                    done.complete(null);
                }
            });
        }

        @Override
        public CompletableFuture<Void> done() {
            return done;
        }

        @Override
        public void close() {
            if (cancelled.compareAndSet(false, true)) {
                ClientCall<Q, R> c = call.get();
                if (c != null) {
                    c.cancel("cancelled by the caller", null);
                }
            }
        }
    }
}
