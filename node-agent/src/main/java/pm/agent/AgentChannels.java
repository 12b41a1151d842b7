package pm.agent;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** One gRPC channel per peer agent address, shared by all migrations. Thread-safe. */
final class AgentChannels implements AutoCloseable {
    private final int maxMessageBytes;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    AgentChannels(int maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    ManagedChannel get(String address) {
        return channels.computeIfAbsent(address, a -> NettyChannelBuilder.forTarget(a)
                .usePlaintext()
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
