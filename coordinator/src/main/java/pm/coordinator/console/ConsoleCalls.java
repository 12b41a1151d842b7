package pm.coordinator.console;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import pm.common.security.AccessPolicy;
import pm.v1.ClusterGrpc;

/**
 * The console's way to the cluster: the coordinator's own Cluster service (with its leader gate and
 * request ids), served in-process behind {@link SessionAuthorizer}, so that every read and action of
 * the console takes the path a gRPC client's call takes. Stubs carry the browser's session. Thread-safe.
 */
final class ConsoleCalls implements AutoCloseable {
    private final Server server;
    private final ManagedChannel channel;

    ConsoleCalls(ServerServiceDefinition cluster, ConsoleSessions sessions, AccessPolicy policy) throws IOException {
        String name = InProcessServerBuilder.generateName();
        this.server = InProcessServerBuilder.forName(name)
                .addService(ServerInterceptors.intercept(cluster, new SessionAuthorizer(sessions, policy)))
                .build()
                .start();
        this.channel = InProcessChannelBuilder.forName(name).build();
    }

    /** Calls as {@code session}, each within {@code deadline}. */
    ClusterGrpc.ClusterBlockingStub blocking(ConsoleSession session, Duration deadline) {
        return ClusterGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(session)))
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Streams as {@code session}, until cancelled. */
    ClusterGrpc.ClusterStub streaming(ConsoleSession session) {
        return ClusterGrpc.newStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(session)));
    }

    private static Metadata headers(ConsoleSession session) {
        Metadata headers = new Metadata();
        headers.put(SessionAuthorizer.SESSION, session.id());
        return headers;
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.shutdownNow();
    }
}
