package pm.client.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import pm.client.ClusterClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "ps", description = "List processes.")
final class PsCommand extends ClusterCommand {
    @Option(names = "--label", paramLabel = "K=V", description = "Only processes carrying this label (repeatable).")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--node", paramLabel = "NODE", defaultValue = "", description = "Only processes this node owns.")
    String node;

    @Override
    void run(ClusterClient client, Output output) {
        var processes = client.list(labels, node);
        output.print(ProcessCommands.asList(processes), Views.processes(processes));
    }
}
