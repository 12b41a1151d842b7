package pm.coordinator.console;

import java.time.Duration;
import java.util.Map;
import pm.v1.ClusterGrpc;
import pm.v1.ClusterMigrateRequest;
import pm.v1.ClusterProcess;
import pm.v1.DrainReport;
import pm.v1.DrainRequest;
import pm.v1.MigrationReport;
import pm.v1.ProcessRef;

/**
 * The console's buttons, each one Cluster API call made as the browser's session (whose role the
 * Cluster service checks, as for any caller): freeze, thaw, migrate, drain. Answers one line for people.
 * Stateless; runs on the HTTP thread that posted the form.
 */
final class ConsoleActions {
    /** A migration's pre-copy or a drain can take long; the CLI's own deadline for them is as generous. */
    private static final Duration ACTION_DEADLINE = Duration.ofMinutes(10);

    private final ConsoleCalls calls;

    ConsoleActions(ConsoleCalls calls) {
        this.calls = calls;
    }

    /** Runs {@code op} with the form's fields; an unknown op or a missing field is an {@link IllegalArgumentException}. */
    String run(ConsoleSession session, String op, Map<String, String> form) {
        ClusterGrpc.ClusterBlockingStub cluster = calls.blocking(session, ACTION_DEADLINE);
        switch (op == null ? "" : op) {
            case "freeze" -> {
                ClusterProcess p = cluster.freeze(ref(form));
                return "froze " + p.getProcessId() + " on " + p.getNode();
            }
            case "thaw" -> {
                ClusterProcess p = cluster.thaw(ref(form));
                return "thawed " + p.getProcessId() + " on " + p.getNode();
            }
            case "migrate" -> {
                MigrationReport r = cluster.migrate(ClusterMigrateRequest.newBuilder()
                        .setProcessId(required(form, "process"))
                        .setTargetNode(form.getOrDefault("target", "").trim())
                        .build());
                return "migrated " + r.getProcessId() + " from " + r.getSourceNode() + " to " + r.getTargetNode()
                        + " (downtime " + r.getDowntimeMicros() / 1000 + " ms)";
            }
            case "drain" -> {
                DrainReport r = cluster.drain(DrainRequest.newBuilder()
                        .setNode(required(form, "node"))
                        .build());
                return "drained " + r.getNode() + ": " + r.getMovedCount() + " moved, " + r.getFailedCount() + " failed"
                        + (r.getFailedCount() == 0 ? "" : " (" + String.join("; ", r.getFailedList()) + ")");
            }
            default ->
                throw new IllegalArgumentException("no console action '" + op + "' (freeze, thaw, migrate, drain)");
        }
    }

    private static ProcessRef ref(Map<String, String> form) {
        return ProcessRef.newBuilder().setProcessId(required(form, "process")).build();
    }

    private static String required(Map<String, String> form, String field) {
        String value = form.getOrDefault(field, "").trim();
        if (value.isEmpty()) {
            throw new IllegalArgumentException("the form has no " + field);
        }
        return value;
    }
}
