package pm.common.cli;

import java.net.URI;
import java.net.URISyntaxException;
import picocli.CommandLine.Option;
import pm.common.tracing.DaemonTracing;

/** The daemons' {@code --otlp-endpoint}: where traces go (a picocli mixin); without it none are recorded. */
public final class TracingOptions {
    @Option(
            names = "--otlp-endpoint",
            paramLabel = "URL",
            description = "Send traces to this OTLP/HTTP collector, e.g. http://collector:4318 (default: no traces).")
    String endpoint;

    /**
     * The tracing these flags ask for, for daemon {@code service} ({@code pm-agent}, {@code pm-coordinator})
     * on {@code node}; a malformed URL is a usage error ({@link IllegalArgumentException}, exit 2).
     */
    public DaemonTracing tracing(String service, String node) {
        if (endpoint == null || endpoint.isBlank()) {
            return DaemonTracing.off();
        }
        return DaemonTracing.otlp(parse(endpoint), service, node);
    }

    static URI parse(String endpoint) {
        URI uri;
        try {
            uri = new URI(endpoint.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--otlp-endpoint is not a URL: " + endpoint);
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException(
                    "--otlp-endpoint wants http://HOST:PORT or https://HOST:PORT: " + endpoint);
        }
        return uri;
    }
}
