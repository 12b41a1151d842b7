package pm.common.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.common.Attributes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link DaemonTracing#otlp}: spans reach an OTLP/HTTP collector (here a stand-in that keeps each
 * export request's body) by the time the daemon's tracing is closed, with the daemon's resource.
 */
class OtlpExportTest {
    private final List<String> exports = new CopyOnWriteArrayList<>();
    private final HttpServer collector;

    OtlpExportTest() throws IOException {
        collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            exports.add(exchange.getRequestMethod() + " "
                    + exchange.getRequestHeaders().getFirst("Content-Type") + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.ISO_8859_1));
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1); // an empty ExportTraceServiceResponse
            exchange.close();
        });
        collector.start();
    }

    @AfterEach
    void stop() {
        collector.stop(0);
    }

    @Test
    void spansReachTheCollectorWithTheDaemonsNameByTheTimeTracingCloses() {
        DaemonTracing tracing = DaemonTracing.otlp(
                URI.create("http://127.0.0.1:" + collector.getAddress().getPort() + "/"), "pm-agent", "host7");
        try (PhaseTrace op = PhaseTrace.start(
                tracing.telemetry().getTracer("test"),
                SpanNames.MIGRATION,
                Attributes.of(SpanNames.PROCESS_ID, "p1"))) {
            op.phase(SpanNames.FREEZE);
        }

        tracing.close(); // flushes the batch

        String sent = String.join("\n", exports);
        assertThat(sent)
                .startsWith("POST application/x-protobuf ")
                .contains(SpanNames.MIGRATION, SpanNames.FREEZE, "pm.process.id", "p1", "pm-agent", "host7");
    }
}
