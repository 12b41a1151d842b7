package pm.coordinator;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import pm.common.cluster.ClusterLayout;
import pm.v1.ClusterGrpc;

/**
 * Lets Cluster calls through only while this coordinator leads; a standby answers every call but
 * {@code Leader} with UNAVAILABLE naming the leader, in the message and in the {@code pm-leader}
 * trailer, so clients can go there. Stateless; runs on gRPC's threads.
 */
final class LeaderGate implements ServerInterceptor {
    private final BooleanSupplier leading;
    private final Supplier<String> leaderAddress;

    LeaderGate(BooleanSupplier leading, Supplier<String> leaderAddress) {
        this.leading = leading;
        this.leaderAddress = leaderAddress;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        if (leading.getAsBoolean() || call.getMethodDescriptor().equals(ClusterGrpc.getLeaderMethod())) {
            return next.startCall(call, headers);
        }
        String leader = leaderAddress.get();
        Metadata trailers = new Metadata();
        if (!leader.isEmpty()) {
            trailers.put(ClusterLayout.LEADER_TRAILER, leader);
        }
        call.close(
                Status.UNAVAILABLE.withDescription(
                        leader.isEmpty()
                                ? "not the leader; no leader is elected yet"
                                : "not the leader; the leader is at " + leader),
                trailers);
        return new ServerCall.Listener<>() {};
    }
}
