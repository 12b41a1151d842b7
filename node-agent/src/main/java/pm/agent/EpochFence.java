package pm.agent;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import pm.agent.cluster.ClusterLayout;

/**
 * Refuses calls that carry an ownership epoch older than the newest this agent has seen for the
 * process: a coordinator that lost its leadership, or a retry from before a migration, cannot act
 * on a process someone newer already moved. The epoch travels in the {@code pm-epoch} header; calls
 * without it (an operator talking to one agent) pass. Thread-safe; shared by all gRPC threads.
 */
final class EpochFence implements ServerInterceptor {
    private static final Context.Key<Long> CALL_EPOCH = Context.key("pm-epoch");

    private final Map<String, Long> newest = new ConcurrentHashMap<>();

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String value = headers.get(ClusterLayout.EPOCH_HEADER);
        if (value == null) {
            return next.startCall(call, headers);
        }
        long epoch;
        try {
            epoch = Long.parseLong(value);
        } catch (NumberFormatException e) {
            call.close(Status.INVALID_ARGUMENT.withDescription("pm-epoch must be a decimal number: " + value), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        return Contexts.interceptCall(Context.current().withValue(CALL_EPOCH, epoch), call, headers, next);
    }

    /** The epoch the current call carries, if any. */
    static OptionalLong callEpoch() {
        Long e = CALL_EPOCH.get();
        return e == null ? OptionalLong.empty() : OptionalLong.of(e);
    }

    /** Admits the current call about {@code processId}, whose hosted copy (if any) runs under {@code hostedEpoch}. */
    void admit(String processId, long hostedEpoch) {
        OptionalLong call = callEpoch();
        if (call.isEmpty()) {
            return;
        }
        long known = Math.max(hostedEpoch, newest.getOrDefault(processId, 0L));
        if (call.getAsLong() < known) {
            throw new AgentException(AgentException.Reason.STALE_EPOCH, "epoch " + call.getAsLong() + " of process " + processId
                    + " is older than " + known + ", the newest this agent has seen");
        }
        newest.merge(processId, call.getAsLong(), Math::max);
    }

    /** Remembers that {@code processId} now runs somewhere under {@code epoch} (a migration's new epoch). */
    void saw(String processId, long epoch) {
        newest.merge(processId, epoch, Math::max);
    }
}
