package pm.client.cli;

import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import pm.client.ClusterClient;
import pm.v1.DrainReport;
import pm.v1.LeaderInfo;
import pm.v1.NodesResponse;

/** The commands about the cluster's members: nodes, draining one, and which coordinator leads. */
final class NodeCommands {
    private NodeCommands() {}

    @Command(
            name = "nodes",
            description = "List the nodes: address, state, load and capacity (with --watch: again every interval).")
    static final class Nodes extends ClusterCommand {
        @Option(
                names = {"-w", "--watch"},
                description = "Print the list again every --interval (-o json: one line each time).")
        boolean watch;

        @Mixin
        Refresh refresh;

        @Override
        void run(ClusterClient client, Output output) throws Exception {
            if (!watch) {
                refresh.refuseWithoutWatch(spec);
                var nodes = client.nodes();
                output.print(NodesResponse.newBuilder().addAllNodes(nodes).build(), Views.nodes(nodes));
                return;
            }
            refresh.pacing().run(i -> {
                var nodes = client.nodes();
                var response = NodesResponse.newBuilder().addAllNodes(nodes).build();
                output.printFrame(
                        i, Output.compactJson(response), Views.nodes(nodes).render());
            });
        }
    }

    @Command(name = "drain", description = "Mark a node draining and move every process off it.")
    static final class Drain extends ClusterCommand {
        @Parameters(paramLabel = "NODE", description = "The node.")
        String node;

        @Mixin
        ProgressOption progress;

        @Override
        void run(ClusterClient client, Output output) {
            DrainReport report;
            try (ProgressOption.Progress shown = progress.drain(pmctl, client, node)) {
                report = client.drain(node);
                shown.finish(String.format(
                        Locale.ROOT,
                        "%d moved, %d not moved, %d ended",
                        report.getMovedCount(),
                        report.getFailedCount(),
                        report.getEndedCount()));
            }
            output.print(report, Views.migrations(report.getMovedList()));
            if (!output.json()) {
                report.getEndedList().forEach(id -> output.stream().println("left (ended): " + id));
                report.getFailedList().forEach(f -> output.stream().println("not moved: " + Views.oneLine(f)));
            }
            if (report.getFailedCount() > 0) {
                throw new DrainIncompleteException(node, report.getFailedCount());
            }
        }
    }

    /** A drain that left processes behind is a failure for scripts (exit 1), though it reported everything. */
    static final class DrainIncompleteException extends RuntimeException {
        DrainIncompleteException(String node, int failed) {
            super(failed + " process(es) could not be moved off " + node);
        }
    }

    @Command(name = "leader", description = "Show which coordinator leads.")
    static final class Leader extends ClusterCommand {
        @Override
        void run(ClusterClient client, Output output) {
            LeaderInfo info = client.leader();
            output.print(
                    info,
                    new Table("LEADER", "ASKED", "ASKED IS LEADER")
                            .add(
                                    info.getLeaderAddress().isEmpty() ? "none elected" : info.getLeaderAddress(),
                                    info.getThisAddress(),
                                    Boolean.toString(info.getIsLeader())));
        }
    }
}
