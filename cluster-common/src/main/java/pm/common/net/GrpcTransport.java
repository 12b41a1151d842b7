package pm.common.net;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.opentelemetry.api.OpenTelemetry;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import pm.common.security.AccessPolicy;
import pm.common.security.RoleAuthorizer;
import pm.common.security.TlsFiles;
import pm.common.tracing.TracingClientInterceptor;
import pm.common.tracing.TracingServerInterceptor;

/**
 * The one place gRPC servers and channels are built, so that every connection of the cluster has the
 * same security and the same keep-alive: with TLS files, mutual TLS and {@link RoleAuthorizer} on every
 * server; without them (only when a user asked for {@code --insecure}) plaintext and no checks. A
 * transport {@link #traced} carries W3C trace context over every call its servers and channels make.
 * Immutable; builders it returns belong to their caller.
 */
public final class GrpcTransport {
    /** How often an idle connection is probed, and the floor a server accepts from clients. */
    private static final long KEEPALIVE_SECONDS = 30;

    private final TlsFiles tls;
    /** Null: untraced, no interceptor installed. */
    private final OpenTelemetry telemetry;

    private GrpcTransport(TlsFiles tls, OpenTelemetry telemetry) {
        this.tls = tls;
        this.telemetry = telemetry;
    }

    public static GrpcTransport insecure() {
        return new GrpcTransport(null, null);
    }

    public static GrpcTransport tls(TlsFiles files) {
        return new GrpcTransport(files, null);
    }

    /**
     * This transport, with servers that continue a caller's trace and channels that pass theirs on
     * ({@link TracingServerInterceptor}, {@link TracingClientInterceptor}).
     */
    public GrpcTransport traced(OpenTelemetry value) {
        return new GrpcTransport(tls, value);
    }

    public boolean isSecure() {
        return tls != null;
    }

    /** The files this transport presents, or null when insecure. */
    public TlsFiles files() {
        return tls;
    }

    /**
     * A server on {@code address} that admits each call by {@code policy} (all of them when insecure) and
     * logs what each call is about ({@link pm.common.logging.CallLogContext}).
     */
    public NettyServerBuilder server(InetSocketAddress address, AccessPolicy policy) {
        ServerCredentials credentials = tls == null ? InsecureServerCredentials.create() : tls.serverCredentials();
        NettyServerBuilder builder = NettyServerBuilder.forAddress(address, credentials)
                .permitKeepAliveTime(KEEPALIVE_SECONDS / 2, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                .intercept(new pm.common.logging.CallLogContext());
        if (tls != null) {
            builder.intercept(new RoleAuthorizer(policy));
        }
        if (telemetry != null) {
            builder.intercept(new TracingServerInterceptor(telemetry)); // outermost: the others run in the call's trace
        }
        return builder;
    }

    /** A channel to {@code target} ({@code host:port}), presenting this party's certificate when secure. */
    public NettyChannelBuilder channel(String target) {
        NettyChannelBuilder builder = NettyChannelBuilder.forTarget(target, channelCredentials())
                .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(false);
        if (telemetry != null) {
            builder.intercept(new TracingClientInterceptor(telemetry));
        }
        return builder;
    }

    public ChannelCredentials channelCredentials() {
        return tls == null ? InsecureChannelCredentials.create() : tls.channelCredentials();
    }
}
