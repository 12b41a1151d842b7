package pm.coordinator.console;

import static pm.coordinator.console.Html.text;

import io.grpc.StatusRuntimeException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
import pm.common.security.Role;
import pm.v1.ClusterGrpc;
import pm.v1.ClusterListRequest;
import pm.v1.ClusterProcess;
import pm.v1.NodesRequest;
import pm.v1.ProcessRef;

/**
 * The console's pages and the fragments its script refreshes, each made from Cluster API reads done as
 * the browser's session. Stateless; runs on the HTTP thread of the request.
 */
final class ConsolePages {
    private static final Duration READ_DEADLINE = Duration.ofSeconds(30);

    private final ConsoleCalls calls;
    private final String coordinator;

    ConsolePages(ConsoleCalls calls, String coordinator) {
        this.calls = calls;
        this.coordinator = coordinator;
    }

    /** The overview: nodes, migrations in flight, processes (refreshed), and the live event list. */
    String overviewPage(ConsoleSession session, String msg) {
        String tables;
        try {
            tables = overview(session);
        } catch (StatusRuntimeException e) { // a standby, say: the page still loads and says why it is empty
            tables = "<p class=\"error\">"
                    + text(e.getStatus().getCode() + ": " + e.getStatus().getDescription()) + "</p>";
        }
        return Html.page(
                "Cluster",
                session,
                coordinator,
                flash(msg)
                        + "<section id=\"overview\" data-refresh=\"/fragment/overview\">" + tables + "</section>"
                        + "<section><h2>Events</h2><ol id=\"events\" class=\"events\" data-events=\"/stream/events\"></ol></section>"
                        + dialog(session, "/"));
    }

    /** The overview's tables alone. */
    String overview(ConsoleSession session) {
        ClusterGrpc.ClusterBlockingStub cluster = calls.blocking(session, READ_DEADLINE);
        return ClusterViews.overview(
                cluster.nodes(NodesRequest.getDefaultInstance()).getNodesList(),
                cluster.list(ClusterListRequest.getDefaultInstance()).getProcessesList().stream()
                        .sorted(Comparator.comparing(ClusterProcess::getProcessId))
                        .toList(),
                operator(session));
    }

    /** One process: details (refreshed), migration history, live log, its events. */
    String processPage(ConsoleSession session, String id, String msg) {
        String query = URLEncoder.encode(id, StandardCharsets.UTF_8);
        return Html.page(
                "Process " + id,
                session,
                coordinator,
                "<h1>Process " + text(id) + "</h1>" + flash(msg)
                        + "<section id=\"detail\" data-refresh=\"/fragment/process?id=" + text(query) + "\">"
                        + process(session, id)
                        + "</section><section><h2>Migration history</h2><ol id=\"migration-history\" class=\"events\"></ol></section>"
                        + "<section><h2>Log</h2><pre id=\"log\" data-log=\"/stream/logs?id=" + text(query)
                        + "\"></pre></section>"
                        + "<section><h2>Events</h2><ol id=\"process-events\" class=\"events\" data-events=\"/stream/events?since=0&amp;process="
                        + text(query) + "\" data-history=\"migration-history\"></ol></section>"
                        + dialog(session, "/process?id=" + query));
    }

    /** The process page's details alone. */
    String process(ConsoleSession session, String id) {
        return ClusterViews.process(
                calls.blocking(session, READ_DEADLINE)
                        .get(ProcessRef.newBuilder().setProcessId(id).build()),
                operator(session));
    }

    /** The confirmation step every action button opens; for operators only (a viewer's page has no buttons to open it). */
    private static String dialog(ConsoleSession session, String back) {
        if (!operator(session)) {
            return "";
        }
        return "<dialog id=\"confirm\"><form method=\"post\" action=\"/action\"><p id=\"confirm-text\"></p>"
                + "<input type=\"hidden\" name=\"csrf\" value=\"" + text(session.csrf()) + "\">"
                + "<input type=\"hidden\" name=\"op\"><input type=\"hidden\" name=\"process\"><input type=\"hidden\" name=\"node\">"
                + "<input type=\"hidden\" name=\"back\" value=\"" + text(back) + "\">"
                + "<label id=\"confirm-target\">target node (empty: placement picks) <input name=\"target\"></label>"
                + "<p><button type=\"submit\" id=\"confirm-ok\">Confirm</button> <button type=\"button\" id=\"confirm-cancel\">Cancel</button></p>"
                + "</form></dialog>";
    }

    private static String flash(String msg) {
        return msg == null || msg.isEmpty() ? "" : "<p id=\"flash\">" + text(msg) + "</p>";
    }

    /** Whether to render actions: a convenience only; the Cluster API's table is what refuses a viewer's action. */
    private static boolean operator(ConsoleSession session) {
        return session.identity().role() == Role.OPERATOR;
    }
}
