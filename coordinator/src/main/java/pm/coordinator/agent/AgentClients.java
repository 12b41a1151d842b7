package pm.coordinator.agent;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import pm.common.cluster.ClusterLayout;
import pm.common.net.GrpcTransport;
import pm.v1.NodeAgentGrpc;
import pm.v1.NodeRecord;

/**
 * Stubs to node agents: one channel per agent address, shared by every call; each stub carries a
 * deadline and, for a call about a process, the ownership epoch in {@link ClusterLayout#EPOCH_HEADER}.
 * Thread-safe.
 */
public final class AgentClients implements AutoCloseable {
    private static final int MAX_MESSAGE_BYTES = 64 << 20;

    private final GrpcTransport transport;
    private final Duration deadline;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final Reachability reachability = new Reachability();

    /** {@code deadline}: how long one unary agent call may take (a migration's pre-copy included). */
    public AgentClients(GrpcTransport transport, Duration deadline) {
        this.transport = transport;
        this.deadline = deadline;
    }

    private Channel channel(String address) {
        return ClientInterceptors.intercept(
                channels.computeIfAbsent(
                        address,
                        a -> transport
                                .channel(a)
                                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                                .build()),
                reachability.watching(address));
    }

    /** Which agents answered their last call: placement skips those that did not. */
    public Reachability reachability() {
        return reachability;
    }

    /** A stub for a call about a process owned at {@code epoch}. */
    public NodeAgentGrpc.NodeAgentBlockingStub blocking(NodeRecord node, long epoch) {
        return NodeAgentGrpc.newBlockingStub(channel(node.getAddress()))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(epochHeader(epoch)))
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A future stub for a call about a process owned at {@code epoch}, for calls made side by side. */
    public NodeAgentGrpc.NodeAgentFutureStub future(NodeRecord node, long epoch) {
        return NodeAgentGrpc.newFutureStub(channel(node.getAddress()))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(epochHeader(epoch)))
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A stub for a call about no process in particular (List). */
    public NodeAgentGrpc.NodeAgentBlockingStub blocking(NodeRecord node) {
        return NodeAgentGrpc.newBlockingStub(channel(node.getAddress()))
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A future stub for a call about no process in particular (List), for calls made side by side. */
    public NodeAgentGrpc.NodeAgentFutureStub future(NodeRecord node) {
        return NodeAgentGrpc.newFutureStub(channel(node.getAddress()))
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A blocking stub without a deadline, for a server stream that lasts as long as the process does (log follows). */
    public NodeAgentGrpc.NodeAgentBlockingStub following(NodeRecord node, long epoch) {
        return NodeAgentGrpc.newBlockingStub(channel(node.getAddress()))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(epochHeader(epoch)));
    }

    /** A streaming stub without a deadline (log follows and image streams last as long as they last). */
    public NodeAgentGrpc.NodeAgentStub streaming(NodeRecord node, long epoch) {
        return NodeAgentGrpc.newStub(channel(node.getAddress()))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(epochHeader(epoch)));
    }

    /** A streaming stub without a deadline or an epoch, for streams about no process (input uploads). */
    public NodeAgentGrpc.NodeAgentStub streaming(NodeRecord node) {
        return NodeAgentGrpc.newStub(channel(node.getAddress()));
    }

    private static Metadata epochHeader(long epoch) {
        Metadata headers = new Metadata();
        headers.put(ClusterLayout.EPOCH_HEADER, Long.toString(epoch));
        return headers;
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
