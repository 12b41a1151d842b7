package pm.client.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import pm.client.ClusterClient;

/** A subcommand that talks to the cluster: it says what to do; {@link Pmctl#execute} runs it and maps failures. */
abstract class ClusterCommand implements Callable<Integer> {
    @ParentCommand
    Pmctl pmctl;

    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() {
        return pmctl.execute(this::run);
    }

    abstract void run(ClusterClient client, Output output) throws Exception;
}
