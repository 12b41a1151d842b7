package pm.coordinator.agent;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which agents did not answer their last call. A dead agent stays a member until its ZooKeeper session
 * expires (seconds to tens of seconds); meanwhile placement should not send it new work. A call that
 * ends UNAVAILABLE marks the agent's address; any call that gets an answer (even a refusal) clears it.
 * Thread-safe: one concurrent set, written from gRPC's threads.
 */
public final class Reachability {
    private final Set<String> silent = ConcurrentHashMap.newKeySet();

    /** Whether the agent at {@code address} answered its last call (or was never called). */
    public boolean answering(String address) {
        return !silent.contains(address);
    }

    /** Watches every call made to {@code address}. */
    ClientInterceptor watching(String address) {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(
                    MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        super.start(
                                new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                                    @Override
                                    public void onClose(Status status, Metadata trailers) {
                                        if (status.getCode() == Status.Code.UNAVAILABLE) {
                                            silent.add(address);
                                        } else if (status.getCode() != Status.Code.DEADLINE_EXCEEDED
                                                && status.getCode() != Status.Code.CANCELLED) {
                                            silent.remove(address);
                                        }
                                        super.onClose(status, trailers);
                                    }
                                },
                                headers);
                    }
                };
            }
        };
    }
}
