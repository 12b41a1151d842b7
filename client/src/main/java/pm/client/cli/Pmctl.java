package pm.client.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import pm.client.ClientSettings;
import pm.client.ClusterClient;
import pm.common.security.SecurityConfigException;

/**
 * {@code pmctl}: the operator's command line, built on {@link ClusterClient}. Holds what every command
 * shares (the coordinators, the output format, the streams to print to) and runs each command's action
 * so that failures become one line on stderr and an exit code (see {@link ExitCodes}) in one place.
 * The environment and the streams are injected so tests run it in-process.
 */
@Command(
        name = "pmctl",
        mixinStandardHelpOptions = true,
        scope = ScopeType.INHERIT,
        version = "pmctl 0.1.0",
        description = "Run, inspect and move WebAssembly processes on a process-migration cluster.",
        subcommands = {
            RunCommand.class,
            PsCommand.class,
            TopCommand.class,
            ProcessCommands.Inspect.class,
            LogsCommand.class,
            ProcessCommands.Freeze.class,
            ProcessCommands.Thaw.class,
            ProcessCommands.Checkpoint.class,
            ProcessCommands.Suspend.class,
            ProcessCommands.Resume.class,
            ProcessCommands.Migrate.class,
            ProcessCommands.Kill.class,
            NodeCommands.Nodes.class,
            NodeCommands.Drain.class,
            RebalanceCommand.class,
            EventsCommand.class,
            ImageCommands.Export.class,
            ImageCommands.Import.class,
            CopyCommand.class,
            WaitCommand.class,
            ProcessCommands.Remove.class,
            NodeCommands.Leader.class,
            ConsoleCommand.class,
            CompletionCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class Pmctl implements Runnable {
    static final String DEFAULT_COORDINATOR = "127.0.0.1:7700";
    static final String COORDINATOR_ENV = "PM_COORDINATOR";

    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean terminal;

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--coordinator",
            paramLabel = "ADDRS",
            scope = ScopeType.INHERIT,
            description = "Coordinators to ask, host:port,host:port (default: $PM_COORDINATOR, else "
                    + DEFAULT_COORDINATOR + ").")
    private String coordinator;

    @Option(
            names = "--ca",
            paramLabel = "FILE",
            scope = ScopeType.INHERIT,
            description = "The cluster CA's certificate (default: $PM_CA, else the client config's ca).")
    private Path ca;

    @Option(
            names = "--cert",
            paramLabel = "FILE",
            scope = ScopeType.INHERIT,
            description =
                    "Your certificate, role operator or viewer (default: $PM_CERT, else the client config's cert).")
    private Path cert;

    @Option(
            names = "--key",
            paramLabel = "FILE",
            scope = ScopeType.INHERIT,
            description = "Your private key (default: $PM_KEY, else the client config's key).")
    private Path key;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FORMAT",
            scope = ScopeType.INHERIT,
            defaultValue = "table",
            description = "table (for people) or json (protobuf JSON; one object per line for streams).")
    private String format;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            scope = ScopeType.INHERIT,
            description =
                    "Deadline of each call, in seconds (default: ${DEFAULT-VALUE}); streams that follow have none.",
            defaultValue = "60")
    private long timeoutSeconds;

    /** A pmctl whose output is not a terminal (a file, a pipe, a test): no screen clearing, no spinners. */
    public Pmctl(Map<String, String> env, PrintStream out, PrintStream err) {
        this(env, out, err, false);
    }

    /**
     * {@code terminal}: whether a person watches {@code out} and {@code err}, so that refreshing commands may
     * clear the screen and long ones may show a spinner.
     */
    public Pmctl(Map<String, String> env, PrintStream out, PrintStream err, boolean terminal) {
        this.env = Map.copyOf(env);
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    public static void main(String[] args) {
        // Java 17 sees a console only when both stdin and stdout are terminals: the closest it can tell that a
        // person is watching (a pipe or a redirect on stdout turns clearing and spinners off).
        boolean terminal = System.console() != null && !"dumb".equals(System.getenv("TERM"));
        System.exit(new CommandLine(new Pmctl(System.getenv(), System.out, System.err, terminal)).execute(args));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** What a command does once it has a client; it prints its results to the given output. */
    @FunctionalInterface
    interface Action {
        void run(ClusterClient client, Output output) throws Exception;
    }

    /**
     * Runs {@code action} with a client to the configured coordinators: the exit code, with a failure
     * printed as {@code pmctl: <one-line message>}. Usage errors go back to picocli, which prints the usage.
     */
    int execute(Action action) {
        try (ClusterClient client = new ClusterClient(settings())) {
            action.run(client, output());
            return ExitCodes.OK;
        } catch (CommandLine.ParameterException e) {
            throw e;
        } catch (ProgramEnded e) {
            out.flush();
            if (e.line() != null) {
                err.println("pmctl: " + e.line());
                err.flush();
            }
            return e.exitCode();
        } catch (Exception e) {
            out.flush();
            err.println("pmctl: " + ExitCodes.message(e));
            err.flush();
            return ExitCodes.of(e);
        }
    }

    PrintStream err() {
        return err;
    }

    /** Whether a person watches pmctl's output on a terminal. */
    boolean terminal() {
        return terminal;
    }

    /** Where a command writes raw bytes (cp to -). */
    PrintStream out() {
        return out;
    }

    /** Each setting from its flag, else its environment variable, else the client config file (see {@link ClientConfig}). */
    private ClientSettings settings() {
        ClientConfig config = ClientConfig.find(env);
        String addresses = first(coordinator, env.get(COORDINATOR_ENV), config.get("coordinator"), DEFAULT_COORDINATOR);
        if (timeoutSeconds <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--timeout is a positive number of seconds");
        }
        try {
            ClientSettings settings = ClientSettings.of(addresses).withCallTimeout(Duration.ofSeconds(timeoutSeconds));
            String caFile = first(ca, env.get("PM_CA"), config.get("ca"), null);
            String certFile = first(cert, env.get("PM_CERT"), config.get("cert"), null);
            String keyFile = first(key, env.get("PM_KEY"), config.get("key"), null);
            if (caFile == null && certFile == null && keyFile == null) {
                return settings; // plaintext: a cluster started with --insecure
            }
            if (caFile == null || certFile == null || keyFile == null) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "TLS needs all three of --ca, --cert and --key" + " (or PM_CA, PM_CERT, PM_KEY)");
            }
            return settings.withTls(Path.of(caFile), Path.of(certFile), Path.of(keyFile));
        } catch (IllegalArgumentException | SecurityConfigException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private static String first(Object flag, String fromEnv, String fromConfig, String fallback) {
        if (flag != null) {
            return flag.toString();
        }
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return fromEnv;
        }
        return fromConfig != null ? fromConfig : fallback;
    }

    private Output output() {
        return switch (format) {
            case "table" -> new Output(Output.Format.TABLE, out, terminal);
            case "json" -> new Output(Output.Format.JSON, out, terminal);
            default ->
                throw new CommandLine.ParameterException(
                        spec.commandLine(), "-o is table or json, not '" + format + "'");
        };
    }
}
