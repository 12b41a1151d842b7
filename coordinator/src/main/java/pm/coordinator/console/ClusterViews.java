package pm.coordinator.console;

import static pm.coordinator.console.Html.text;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import pm.v1.ClusterProcess;
import pm.v1.NodeRecord;
import pm.v1.NodeStatus;
import pm.v1.ProcessState;

/**
 * The console's tables, rendered on the server from Cluster API replies: nodes, migrations in flight,
 * processes, one process's details. Action buttons are written only for operators (a viewer's page has
 * none); each names its action and target in data attributes for the confirmation dialog. Stateless.
 */
final class ClusterViews {
    /** Guest memory is counted in WebAssembly pages. */
    private static final long PAGE_BYTES = 65_536;

    private ClusterViews() {}

    /** Everything the overview refreshes: nodes, migrations in flight, processes. */
    static String overview(List<NodeStatus> nodes, List<ClusterProcess> processes, boolean operator) {
        StringBuilder out = new StringBuilder(8192);
        out.append(
                        "<h2>Nodes</h2><table id=\"nodes\"><thead><tr><th>node</th><th>address</th><th>state</th><th>processes</th>")
                .append("<th>memory</th><th>CPU load</th><th>owned</th>")
                .append(operator ? "<th></th>" : "")
                .append("</tr></thead><tbody>");
        for (NodeStatus n : nodes) {
            NodeRecord r = n.getRecord();
            out.append("<tr data-node=\"")
                    .append(text(r.getName()))
                    .append("\"><td class=\"name\">")
                    .append(text(r.getName()))
                    .append("</td><td>")
                    .append(text(r.getAddress()))
                    .append("</td><td class=\"state\">")
                    .append(n.getDraining() ? "draining" : "active")
                    .append("</td><td>")
                    .append(r.getProcesses())
                    .append(" / ")
                    .append(r.getCapacityProcesses())
                    .append("</td><td>")
                    .append(text(Html.bytes(r.getMemoryBytes())))
                    .append(" / ")
                    .append(text(Html.bytes(r.getCapacityBytes())))
                    .append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.0f %%", 100 * r.getCpuLoad()))
                    .append("</td><td>")
                    .append(n.getOwnedProcesses())
                    .append("</td>");
            if (operator) {
                out.append("<td>");
                if (!n.getDraining()) {
                    button(out, "drain", "", r.getName(), "Drain node " + r.getName() + ": move every process off it?");
                }
                out.append("</td>");
            }
            out.append("</tr>");
        }
        out.append("</tbody></table>");

        List<ClusterProcess> moving =
                processes.stream().filter(ClusterViews::migrating).toList();
        out.append(
                        "<h2>Migrations in flight</h2><table id=\"migrations\"><thead><tr><th>process</th><th>from</th><th>state</th>")
                .append("<th>epoch</th><th>memory</th></tr></thead><tbody>");
        for (ClusterProcess p : moving) {
            out.append("<tr data-process=\"")
                    .append(text(p.getProcessId()))
                    .append("\"><td>")
                    .append(link(p.getProcessId()))
                    .append("</td><td>")
                    .append(text(p.getNode()))
                    .append("</td><td>")
                    .append(state(p))
                    .append("</td><td>")
                    .append(p.getEpoch())
                    .append("</td><td>")
                    .append(memory(p))
                    .append("</td></tr>");
        }
        if (moving.isEmpty()) {
            out.append("<tr class=\"none\"><td colspan=\"5\">none</td></tr>");
        }
        out.append("</tbody></table>");

        out.append(
                        "<h2>Processes</h2><table id=\"processes\"><thead><tr><th>process</th><th>state</th><th>node</th><th>epoch</th>")
                .append("<th>memory</th><th>last checkpoint</th>")
                .append(operator ? "<th></th>" : "")
                .append("</tr></thead><tbody>");
        for (ClusterProcess p : processes) {
            out.append("<tr data-process=\"")
                    .append(text(p.getProcessId()))
                    .append("\"><td class=\"id\">")
                    .append(link(p.getProcessId()))
                    .append("</td><td class=\"state\">")
                    .append(state(p))
                    .append("</td><td class=\"node\">")
                    .append(text(p.getNode()))
                    .append("</td><td class=\"epoch\">")
                    .append(p.getEpoch())
                    .append("</td><td>")
                    .append(memory(p))
                    .append("</td><td>")
                    .append(checkpoint(p))
                    .append("</td>");
            if (operator) {
                out.append("<td>");
                actions(out, p);
                out.append("</td>");
            }
            out.append("</tr>");
        }
        if (processes.isEmpty()) {
            out.append("<tr class=\"none\"><td colspan=\"")
                    .append(operator ? 7 : 6)
                    .append("\">no processes</td></tr>");
        }
        out.append("</tbody></table>");
        return out.toString();
    }

    /** One process's details (and its actions, for operators). */
    static String process(ClusterProcess p, boolean operator) {
        StringBuilder out = new StringBuilder(2048);
        out.append("<table id=\"process\" data-process=\"")
                .append(text(p.getProcessId()))
                .append("\"><tbody>");
        row(out, "state", "state", state(p));
        row(out, "node", "node", text(p.getNode()));
        row(out, "epoch", "epoch", Long.toString(p.getEpoch()));
        row(out, "memory", "memory", memory(p));
        row(out, "checkpoint", "last checkpoint", checkpoint(p));
        row(out, "checkpoint-nodes", "checkpoint held by", text(String.join(", ", p.getCheckpointNodesList())));
        row(
                out,
                "owner",
                "owner",
                text(p.getOwnerHealth().name().replace("OWNER_HEALTH_", "").toLowerCase(Locale.ROOT)));
        row(out, "labels", "labels", text(p.getLabelsMap().toString()));
        row(
                out,
                "created",
                "created",
                p.getCreatedMillis() == 0
                        ? ""
                        : text(Instant.ofEpochMilli(p.getCreatedMillis()).toString()));
        if (p.getEndedMillis() != 0) {
            row(
                    out,
                    "ended",
                    "ended",
                    text(Instant.ofEpochMilli(p.getEndedMillis()) + " status " + p.getExitStatus() + " "
                            + p.getFailure()));
        }
        out.append("</tbody></table>");
        if (operator) {
            out.append("<p class=\"actions\">");
            actions(out, p);
            out.append("</p>");
        }
        return out.toString();
    }

    private static void row(StringBuilder out, String cls, String name, String html) {
        out.append("<tr><th>")
                .append(name)
                .append("</th><td class=\"")
                .append(cls)
                .append("\">")
                .append(html)
                .append("</td></tr>");
    }

    private static void actions(StringBuilder out, ClusterProcess p) {
        ProcessState s = p.getState();
        String id = p.getProcessId();
        if (s == ProcessState.PROCESS_STATE_RUNNING) {
            button(out, "freeze", id, "", "Freeze process " + id + "?");
        }
        if (s == ProcessState.PROCESS_STATE_FROZEN) {
            button(out, "thaw", id, "", "Thaw process " + id + "?");
        }
        if (s == ProcessState.PROCESS_STATE_RUNNING || s == ProcessState.PROCESS_STATE_FROZEN) {
            button(out, "migrate", id, "", "Migrate process " + id + " off node " + p.getNode() + "?");
        }
    }

    private static void button(StringBuilder out, String action, String process, String node, String question) {
        out.append("<button type=\"button\" class=\"action\" data-action=\"")
                .append(action)
                .append("\" data-process=\"")
                .append(text(process))
                .append("\" data-node=\"")
                .append(text(node))
                .append("\" data-confirm=\"")
                .append(text(question))
                .append("\">")
                .append(action)
                .append("</button>");
    }

    private static boolean migrating(ClusterProcess p) {
        return p.getState() == ProcessState.PROCESS_STATE_MIGRATING
                || p.getState() == ProcessState.PROCESS_STATE_PREPARED;
    }

    private static String link(String processId) {
        return "<a href=\"/process?id="
                + text(java.net.URLEncoder.encode(processId, java.nio.charset.StandardCharsets.UTF_8)) + "\">"
                + text(processId) + "</a>";
    }

    static String state(ClusterProcess p) {
        return text(p.getState().name().replace("PROCESS_STATE_", "").toLowerCase(Locale.ROOT));
    }

    private static String memory(ClusterProcess p) {
        return p.hasInfo() ? text(Html.bytes(p.getInfo().getMemoryPages() * PAGE_BYTES)) : "";
    }

    private static String checkpoint(ClusterProcess p) {
        String id = p.getLastCheckpointId();
        return text(id.length() > 16 ? id.substring(0, 16) + "…" : id);
    }
}
