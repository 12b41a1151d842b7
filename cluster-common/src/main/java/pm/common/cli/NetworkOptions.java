package pm.common.cli;

import picocli.CommandLine.Option;
import pm.common.net.NetworkSettings;

/** The flags every daemon has for where it listens and what it advertises (a picocli mixin). */
public final class NetworkOptions {
    @Option(
            names = "--config",
            paramLabel = "FILE",
            description =
                    "Settings file: the long flags without dashes as keys (bind = 10.0.0.2); flags given here win.")
    java.nio.file.Path config;

    @Option(
            names = "--bind",
            paramLabel = "ADDR",
            defaultValue = "127.0.0.1",
            description =
                    "Address to listen on, gRPC and metrics (default: ${DEFAULT-VALUE}); 0.0.0.0 needs --advertise.")
    String bind;

    @Option(
            names = "--advertise",
            paramLabel = "HOST[:PORT]",
            description = "Host name or address peers dial and certificates name (default: the --bind address); "
                    + "with a port when a proxy or NAT forwards another port to --port.")
    String advertise;

    @Option(
            names = "--port",
            paramLabel = "P",
            defaultValue = "0",
            description = "gRPC port (default: ${DEFAULT-VALUE}, any free port).")
    int port;

    @Option(
            names = "--metrics-port",
            paramLabel = "P",
            defaultValue = "0",
            description = "Prometheus scrape port, on the --bind address (default: ${DEFAULT-VALUE}, any free port).")
    int metricsPort;

    public NetworkSettings settings() {
        return new NetworkSettings(bind, port, metricsPort, advertise);
    }

    /** For launchers that pass their own default port. */
    public int port() {
        return port;
    }
}
