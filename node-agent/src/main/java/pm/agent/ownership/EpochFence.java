package pm.agent.ownership;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import pm.agent.AgentException;
import pm.common.cluster.ClusterLayout;
import pm.v1.NodeAgentGrpc;

/**
 * Refuses calls that carry an ownership epoch older than the newest this agent has seen for the
 * process: a coordinator that lost its leadership, or a retry from before a migration, cannot act
 * on a process someone newer already moved. The epoch travels in the {@code pm-epoch} header. In a
 * cluster, the coordinator's calls that start, change or move a process must carry it (a caller
 * without one acts outside the ownership protocol); elsewhere, and for reads and agent-to-agent
 * calls, a call without it passes. Thread-safe; shared by all gRPC threads.
 */
public final class EpochFence implements ServerInterceptor {
    private static final Context.Key<Long> CALL_EPOCH = Context.key("pm-epoch");
    /** What the coordinator asks of an agent about one process: always at the epoch its record names. */
    private static final Set<String> COORDINATOR_CALLS = Stream.of(
                    NodeAgentGrpc.getSpawnMethod(),
                    NodeAgentGrpc.getFreezeMethod(),
                    NodeAgentGrpc.getThawMethod(),
                    NodeAgentGrpc.getKillMethod(),
                    NodeAgentGrpc.getCheckpointMethod(),
                    NodeAgentGrpc.getSuspendMethod(),
                    NodeAgentGrpc.getResumeMethod(),
                    NodeAgentGrpc.getExportImageMethod(),
                    NodeAgentGrpc.getImportImageMethod(),
                    NodeAgentGrpc.getMigrateOutMethod(),
                    NodeAgentGrpc.getReplicateMethod(),
                    NodeAgentGrpc.getAdoptMethod(),
                    NodeAgentGrpc.getWriteFileMethod())
            .map(MethodDescriptor::getFullMethodName)
            .collect(Collectors.toUnmodifiableSet());

    private final Map<String, Long> newest = new ConcurrentHashMap<>();
    private final boolean inCluster;

    /** {@code inCluster}: the agent's processes are owned through ZooKeeper records, so their calls need epochs. */
    public EpochFence(boolean inCluster) {
        this.inCluster = inCluster;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String value = headers.get(ClusterLayout.EPOCH_HEADER);
        if (value == null) {
            String method = call.getMethodDescriptor().getFullMethodName();
            if (inCluster && COORDINATOR_CALLS.contains(method)) {
                call.close(
                        Status.FAILED_PRECONDITION.withDescription(
                                method + " needs the process's ownership epoch (pm-epoch header)"
                                        + " on an agent that is part of a cluster"),
                        new Metadata());
                return new ServerCall.Listener<>() {};
            }
            return next.startCall(call, headers);
        }
        long epoch;
        try {
            epoch = Long.parseLong(value);
        } catch (NumberFormatException e) {
            call.close(
                    Status.INVALID_ARGUMENT.withDescription("pm-epoch must be a decimal number: " + value),
                    new Metadata());
            return new ServerCall.Listener<>() {};
        }
        return Contexts.interceptCall(Context.current().withValue(CALL_EPOCH, epoch), call, headers, next);
    }

    /** The epoch the current call carries, if any. */
    public static OptionalLong callEpoch() {
        Long e = CALL_EPOCH.get();
        return e == null ? OptionalLong.empty() : OptionalLong.of(e);
    }

    /** Admits the current call about {@code processId}, whose hosted copy (if any) runs under {@code hostedEpoch}. */
    public void admit(String processId, long hostedEpoch) {
        OptionalLong call = callEpoch();
        if (call.isEmpty()) {
            return;
        }
        long known = Math.max(hostedEpoch, newest.getOrDefault(processId, 0L));
        if (call.getAsLong() < known) {
            throw new AgentException(
                    AgentException.Reason.STALE_EPOCH,
                    "epoch " + call.getAsLong() + " of process " + processId + " is older than " + known
                            + ", the newest this agent has seen");
        }
        newest.merge(processId, call.getAsLong(), Math::max);
    }

    /** Remembers that {@code processId} now runs somewhere under {@code epoch} (a migration's new epoch). */
    void saw(String processId, long epoch) {
        newest.merge(processId, epoch, Math::max);
    }
}
