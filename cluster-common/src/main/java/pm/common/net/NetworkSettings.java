package pm.common.net;

import java.net.InetSocketAddress;

/**
 * Where a daemon listens and what it tells others to dial: {@code bind} (an address of this host; never
 * a silent wildcard), the gRPC and metrics ports (0 = any free port), and the advertised host (what it
 * registers in ZooKeeper and puts in its certificate's names). Without an advertised host the bind
 * address is advertised, which a wildcard bind cannot be.
 */
public record NetworkSettings(String bind, int port, int metricsPort, String advertiseHost) {
    public static final NetworkSettings LOOPBACK = new NetworkSettings("127.0.0.1", 0, 0, null);

    public NetworkSettings {
        if (bind == null || bind.isEmpty()) {
            throw new IllegalArgumentException("--bind needs an address");
        }
        if (port < 0 || port > 65535 || metricsPort < 0 || metricsPort > 65535) {
            throw new IllegalArgumentException("ports are 0-65535: " + port + ", " + metricsPort);
        }
        if (advertiseHost != null && advertiseHost.isEmpty()) {
            advertiseHost = null;
        }
        if (advertiseHost == null && isWildcard(bind)) {
            throw new IllegalArgumentException("--bind " + bind + " listens on every address; say which one peers dial with --advertise");
        }
    }

    public NetworkSettings withPort(int value) {
        return new NetworkSettings(bind, value, metricsPort, advertiseHost);
    }

    public NetworkSettings withMetricsPort(int value) {
        return new NetworkSettings(bind, port, value, advertiseHost);
    }

    public InetSocketAddress grpcSocket() {
        return new InetSocketAddress(bind, port);
    }

    public InetSocketAddress metricsSocket() {
        return new InetSocketAddress(bind, metricsPort);
    }

    /** What peers dial to reach the port this daemon got. */
    public HostPort advertised(int actualPort) {
        return new HostPort(advertiseHost != null ? advertiseHost : bind, actualPort);
    }

    private static boolean isWildcard(String address) {
        return address.equals("0.0.0.0") || address.equals("::") || address.equals("[::]");
    }
}
