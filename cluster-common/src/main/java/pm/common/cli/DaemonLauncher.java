package pm.common.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import pm.common.security.SecurityConfigException;

/**
 * Runs a daemon's picocli command the same way for every daemon: an optional {@code --config FILE}
 * supplies defaults, {@code --help} prints the usage, and anything wrong with the flags, the config
 * file or the files they name is one line on stderr ({@code NAME: problem}) and exit code 2, before
 * anything was started. Failures after start-up exit 1.
 */
public final class DaemonLauncher {
    public static final int USAGE = 2;

    private DaemonLauncher() {}

    /** Runs {@code command} with {@code args}; returns the exit code (the daemon's own call returns when it stops). */
    public static int run(String name, Callable<Integer> command, String[] args, PrintStream err) {
        CommandLine line = new CommandLine(command);
        try {
            Optional<Path> file = ConfigFile.named(args);
            if (file.isPresent()) {
                ConfigFile config = ConfigFile.load(file.get());
                config.check(line.getCommandSpec());
                line.setDefaultValueProvider(config);
            }
        } catch (IllegalArgumentException e) {
            err.println(name + ": " + e.getMessage());
            return USAGE;
        }
        line.setErr(new java.io.PrintWriter(err, true));
        line.setParameterExceptionHandler((e, a) -> {
            err.println(name + ": " + e.getMessage() + " (see " + name + " --help)");
            return USAGE;
        });
        line.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof SecurityConfigException || e instanceof IllegalArgumentException) {
                err.println(name + ": " + e.getMessage());
                return USAGE;
            }
            throw e;
        });
        return line.execute(args);
    }
}
