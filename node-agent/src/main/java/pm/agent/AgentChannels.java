package pm.agent;

import io.grpc.ManagedChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import pm.agent.migration.TransferWindow;
import pm.common.net.GrpcTransport;

/** One gRPC channel per peer agent address, shared by all migrations, secured as the agent is. Thread-safe. */
public final class AgentChannels implements AutoCloseable {
    private final GrpcTransport transport;
    private final int maxMessageBytes;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    AgentChannels(GrpcTransport transport, int maxMessageBytes) {
        this.transport = transport;
        this.maxMessageBytes = maxMessageBytes;
    }

    public ManagedChannel get(String address) {
        return channels.computeIfAbsent(
                address,
                a -> transport
                        .channel(a)
                        .maxInboundMessageSize(maxMessageBytes)
                        .flowControlWindow(TransferWindow.HTTP2_BYTES)
                        .build());
    }

    @Override
    public void close() {
        for (ManagedChannel c : channels.values()) {
            c.shutdownNow();
        }
        for (ManagedChannel c : channels.values()) {
            try {
                c.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
