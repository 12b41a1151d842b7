package pm.common.metrics;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * {@code GET /metrics} on the daemon's bind address in Prometheus' text format, for agents and coordinators alike.
 * The JDK's HTTP server runs it on its own dispatcher thread.
 */
public final class ScrapeEndpoint implements AutoCloseable {
    private final HttpServer http;

    private ScrapeEndpoint(HttpServer http) {
        this.http = http;
    }

    /** Serves {@code scrape} on {@code address} (port 0 = any free port). */
    public static ScrapeEndpoint serve(InetSocketAddress address, Supplier<String> scrape) throws IOException {
        HttpServer http = HttpServer.create(address, 0);
        http.createContext("/metrics", exchange -> {
            byte[] body = scrape.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.start();
        return new ScrapeEndpoint(http);
    }

    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
