package pm.client.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code pmctl completion bash}: picocli's completion script for every command, option and fixed value of
 * pmctl, generated from the same model that parses the command line, so it cannot go stale. The script is
 * for bash and also serves zsh (through bashcompinit), hence one script for both. Needs no cluster.
 */
@Command(
        name = "completion",
        description = {
            "Print a shell completion script for pmctl.",
            "bash:  source <(pmctl completion bash)   (or save it as /etc/bash_completion.d/pmctl)",
            "zsh:   autoload -U +X bashcompinit && bashcompinit && source <(pmctl completion zsh)"
        })
final class CompletionCommand implements Callable<Integer> {
    /** Lower case because picocli takes (and completes) the constants' names as typed. */
    enum Shell {
        bash,
        zsh
    }

    @ParentCommand
    Pmctl pmctl;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SHELL", defaultValue = "bash", description = "bash or zsh (default: ${DEFAULT-VALUE}).")
    Shell shell;

    @Override
    public Integer call() {
        pmctl.out().print(AutoComplete.bash("pmctl", spec.root().commandLine()));
        pmctl.out().flush();
        return ExitCodes.OK;
    }
}
