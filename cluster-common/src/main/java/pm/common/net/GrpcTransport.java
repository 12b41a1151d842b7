package pm.common.net;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import pm.common.security.AccessPolicy;
import pm.common.security.RoleAuthorizer;
import pm.common.security.TlsFiles;

/**
 * The one place gRPC servers and channels are built, so that every connection of the cluster has the
 * same security and the same keep-alive: with TLS files, mutual TLS and {@link RoleAuthorizer} on every
 * server; without them (only when a user asked for {@code --insecure}) plaintext and no checks.
 * Immutable; builders it returns belong to their caller.
 */
public final class GrpcTransport {
    /** How often an idle connection is probed, and the floor a server accepts from clients. */
    private static final long KEEPALIVE_SECONDS = 30;

    private final TlsFiles tls;

    private GrpcTransport(TlsFiles tls) {
        this.tls = tls;
    }

    public static GrpcTransport insecure() {
        return new GrpcTransport(null);
    }

    public static GrpcTransport tls(TlsFiles files) {
        return new GrpcTransport(files);
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
        return builder;
    }

    /** A channel to {@code target} ({@code host:port}), presenting this party's certificate when secure. */
    public NettyChannelBuilder channel(String target) {
        return NettyChannelBuilder.forTarget(target, channelCredentials())
                .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(false);
    }

    public ChannelCredentials channelCredentials() {
        return tls == null ? InsecureChannelCredentials.create() : tls.channelCredentials();
    }
}
