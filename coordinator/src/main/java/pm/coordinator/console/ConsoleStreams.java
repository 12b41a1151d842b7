package pm.coordinator.console;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import pm.v1.ClusterEvent;
import pm.v1.EventsRequest;
import pm.v1.LogChunk;
import pm.v1.LogsRequest;

/**
 * The console's two live streams, the Cluster API's {@code Events} and {@code Logs} calls relayed as
 * Server-Sent Events ({@link SseRelay}); a browser that reconnects sends the last id it saw, and the
 * stream goes on from there (an event index, a log offset). Stateless; each runs on its HTTP thread.
 */
final class ConsoleStreams {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    private final ConsoleCalls calls;

    ConsoleStreams(ConsoleCalls calls) {
        this.calls = calls;
    }

    /**
     * Cluster events, all or {@code processId}'s ("": all), from the kept ones after {@code since} if given;
     * each as time, kind, process, node, epoch and detail, tab-separated.
     */
    void events(HttpExchange exchange, ConsoleSession session, String processId, String since) throws IOException {
        EventsRequest.Builder request = EventsRequest.newBuilder().setProcessId(processId);
        String last = lastEventId(exchange);
        String from = last != null ? last : since;
        if (from != null) {
            request.setSinceIndex(Long.parseLong(from));
        }
        SseRelay.<EventsRequest, ClusterEvent>relay(
                exchange,
                o -> calls.streaming(session).events(request.build(), o),
                e -> new SseRelay.Message(
                        "cluster",
                        e.getIndex() == 0 ? "" : Long.toString(e.getIndex()),
                        String.join(
                                "\t",
                                TIME.format(Instant.ofEpochMilli(e.getTimeMillis())),
                                e.getKind().name().substring("KIND_".length()).toLowerCase(Locale.ROOT),
                                e.getProcessId(),
                                e.getNode(),
                                Long.toString(e.getEpoch()),
                                e.getDetail().replace('\t', ' '))));
    }

    /** A process's output, followed across migrations. */
    void logs(HttpExchange exchange, ConsoleSession session, String processId) throws IOException {
        String last = lastEventId(exchange);
        LogsRequest request = LogsRequest.newBuilder()
                .setProcessId(processId)
                .setFollow(true)
                .setFromOffset(last == null ? 0 : Long.parseLong(last))
                .build();
        SseRelay.<LogsRequest, LogChunk>relay(
                exchange,
                o -> calls.streaming(session).logs(request, o),
                c -> new SseRelay.Message(
                        "log",
                        Long.toString(c.getOffset() + c.getData().size()),
                        c.getData().toString(StandardCharsets.UTF_8)));
    }

    private static String lastEventId(HttpExchange exchange) {
        String last = exchange.getRequestHeaders().getFirst("Last-Event-ID");
        return last == null || last.isEmpty() ? null : last;
    }
}
