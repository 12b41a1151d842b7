package pm.client.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import pm.client.ClusterClient;
import pm.client.ListFilter;

@Command(name = "ps", description = "List processes (with --watch: again every interval).")
final class PsCommand extends ClusterCommand {
    @Option(names = "--label", paramLabel = "K=V", description = "Only processes carrying this label (repeatable).")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--node", paramLabel = "NODE", defaultValue = "", description = "Only processes this node owns.")
    String node;

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
            var processes = client.list(filter(labels, node));
            output.print(ProcessCommands.asList(processes), Views.processes(processes));
            return;
        }
        refresh.pacing().run(i -> {
            var processes = client.list(filter(labels, node));
            output.printFrame(
                    i,
                    Output.compactJson(ProcessCommands.asList(processes)),
                    Views.processes(processes).render());
        });
    }

    /** The processes {@code --label} and {@code --node} select; an empty node (the option's default) is any node. */
    static ListFilter filter(Map<String, String> labels, String node) {
        ListFilter filter = ListFilter.labels(labels);
        return node.isEmpty() ? filter : filter.withNode(node);
    }
}
