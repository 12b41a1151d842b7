package pm.common.net;

import java.net.InetSocketAddress;

/**
 * Where a daemon listens and what it tells others to dial: {@code bind} (an address of this host; never
 * a silent wildcard), the gRPC and metrics ports (0 = any free port), and the advertised host (what it
 * registers in ZooKeeper and puts in its certificate's names), optionally with a port of its own
 * ({@code HOST:PORT}: a proxy or NAT forwards it to the gRPC port). Without an advertised host the
 * bind address is advertised, which a wildcard bind cannot be.
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
            throw new IllegalArgumentException(
                    "--bind " + bind + " listens on every address; say which one peers dial with --advertise");
        }
        if (advertiseHost != null && hasPort(advertiseHost)) {
            HostPort.parse(advertiseHost); // a malformed one is refused at start, not at the first registration
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

    /** What peers dial to reach the gRPC port this daemon got: the advertised port if one was given. */
    public HostPort advertised(int actualPort) {
        if (advertiseHost != null && hasPort(advertiseHost)) {
            return HostPort.parse(advertiseHost);
        }
        return advertisedHost(actualPort);
    }

    /** The advertised host (or the bind address) with {@code actualPort}: for the metrics port, never forwarded. */
    public HostPort advertisedHost(int actualPort) {
        if (advertiseHost == null) {
            return new HostPort(bind, actualPort);
        }
        return new HostPort(
                hasPort(advertiseHost) ? HostPort.parse(advertiseHost).host() : advertiseHost, actualPort);
    }

    /** {@code host:port} or {@code [v6]:port}, not a bare IPv6 address (colons of its own). */
    private static boolean hasPort(String advertised) {
        int colon = advertised.lastIndexOf(':');
        return colon > 0
                && (advertised.startsWith("[")
                        ? advertised.charAt(colon - 1) == ']'
                        : advertised.indexOf(':') == colon);
    }

    private static boolean isWildcard(String address) {
        return address.equals("0.0.0.0") || address.equals("::") || address.equals("[::]");
    }
}
