package pm.client.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import pm.client.ClusterClient;
import pm.client.Input;
import pm.client.LogOptions;
import pm.client.SpawnOptions;
import pm.client.TransferProgress;

/**
 * {@code pmctl run MODULE.wasm [options] [-- ARGS]}: spawns the module. The guest's argv is the module's
 * file name without {@code .wasm}, then the {@code --arg} values, then the arguments after the module.
 */
@Command(name = "run", description = "Spawn a WebAssembly (WASI) module as a process; prints it.")
final class RunCommand extends ClusterCommand {
    private static final String DATA = "/data/";

    @Parameters(index = "0", paramLabel = "MODULE.wasm", description = "The module to run.")
    Path module;

    @Parameters(
            index = "1..*",
            paramLabel = "ARG",
            description = "Arguments for the program (after -- if any starts with -).")
    List<String> trailingArgs = new ArrayList<>();

    @Option(
            names = "--id",
            paramLabel = "ID",
            defaultValue = "",
            description = "The process id (default: the cluster picks one).")
    String id;

    @Option(names = "--arg", paramLabel = "A", description = "An argument for the program (repeatable).")
    List<String> args = new ArrayList<>();

    @Option(names = "--env", paramLabel = "K=V", description = "An environment variable (repeatable).")
    Map<String, String> env = new LinkedHashMap<>();

    @Option(
            names = "--file",
            paramLabel = "LOCAL=REMOTE_PATH",
            description =
                    "Copy a local file into the guest's /data at REMOTE_PATH (relative to /data, or under /data/).")
    List<String> files = new ArrayList<>();

    @Option(names = "--stdin", paramLabel = "FILE", description = "The guest's standard input.")
    Path stdin;

    @Option(names = "--label", paramLabel = "K=V", description = "A label on the process (repeatable).")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--node", paramLabel = "NODE", defaultValue = "", description = "Run it on this node.")
    String node;

    @Option(names = "--node-label", paramLabel = "K=V", description = "Only on nodes carrying this label (repeatable).")
    Map<String, String> nodeLabels = new LinkedHashMap<>();

    @Option(names = "--pin", description = "Never move it off --node (not the rebalancer, not a drain).")
    boolean pin;

    @Option(
            names = "--memory-limit-mib",
            paramLabel = "N",
            defaultValue = "0",
            description = "The guest's memory limit.")
    int memoryLimitMib;

    @Option(
            names = "--fs-limit-mib",
            paramLabel = "N",
            defaultValue = "0",
            description = "How much its /data may hold, inputs included (default: the node's --fs-bytes).")
    long fsLimitMib;

    @Option(
            names = "--instructions-per-second",
            paramLabel = "N",
            defaultValue = "0",
            description = "Its CPU quota: at most N WebAssembly instructions a second on average (default: none).")
    long instructionsPerSecond;

    @Option(
            names = "--checkpoint-every",
            paramLabel = "DURATION",
            description =
                    "Checkpoint and replicate it this often, e.g. 30s, 5m, 500ms (a lost node costs at most that much work).")
    String checkpointEvery;

    @Option(names = "--checkpoint-on-migrate", description = "Checkpoint and replicate it right after each migration.")
    boolean checkpointOnMigrate;

    @Option(names = "--checkpoint-on-suspend", description = "Replicate the checkpoint a suspend takes.")
    boolean checkpointOnSuspend;

    @Option(
            names = "--output-backpressure",
            description =
                    "Never drop its output: it waits in its writes while half the node's log retention is unread (read it with logs).")
    boolean outputBackpressure;

    @Option(
            names = {"-a", "--attach"},
            description =
                    "Stream its output until it ends and exit with its exit status; Ctrl-C detaches (it runs on).")
    boolean attach;

    @Override
    void run(ClusterClient client, Output output) {
        SpawnOptions options = options();
        long uploads = options.files().values().stream()
                        .filter(i -> !SpawnOptions.inline(i))
                        .mapToLong(Input::size)
                        .sum()
                + (SpawnOptions.inline(options.stdin()) ? 0 : options.stdin().size());
        ProgressMeter meter = new ProgressMeter("uploaded", pmctl.err(), System::nanoTime);
        var p = client.spawn(options, uploads > 0 ? meter : TransferProgress.NONE);
        if (uploads > 0) {
            meter.finish(uploads);
        }
        if (!attach) {
            output.print(p, Views.processes(List.of(p)));
            return;
        }
        String id = p.getProcessId();
        Thread detached =
                new Thread(() -> pmctl.err().println("pmctl: detached; " + id + " runs on (pmctl logs -f " + id + ")"));
        Runtime.getRuntime().addShutdownHook(detached);
        try {
            client.logs(id, LogOptions.follow(), chunk -> LogsCommand.print(chunk, output, pmctl.err()));
            throw ProgramEnded.of(WaitCommand.awaitEnd(client, id));
        } finally {
            Runtime.getRuntime().removeShutdownHook(detached);
        }
    }

    /** The spawn the command line asks for; local files that cannot be read are usage errors. */
    SpawnOptions options() {
        if (pin && node.isEmpty()) {
            throw usage("--pin needs --node");
        }
        String name = module.getFileName().toString();
        SpawnOptions.Builder b = SpawnOptions.builder(
                        read(module), name.endsWith(".wasm") ? name.substring(0, name.length() - 5) : name)
                .withProcessId(id)
                .withArgs(args)
                .withArgs(trailingArgs)
                .withMemoryLimitMib(memoryLimitMib)
                .withFileSystemLimitMib(fsLimitMib)
                .withInstructionsPerSecondLimit(instructionsPerSecond)
                .onNode(node, pin);
        if (checkpointEvery != null) {
            b.checkpointEvery(duration(checkpointEvery));
        }
        if (checkpointOnMigrate) {
            b.checkpointOnMigrate();
        }
        if (checkpointOnSuspend) {
            b.checkpointOnSuspend();
        }
        if (outputBackpressure) {
            b.withOutputBackpressure();
        }
        env.forEach(b::withEnv);
        labels.forEach(b::withLabel);
        nodeLabels.forEach(b::withNodeLabel);
        for (String file : files) {
            int eq = file.indexOf('=');
            if (eq <= 0 || eq == file.length() - 1) {
                throw usage("--file is LOCAL=REMOTE_PATH, not " + file);
            }
            b.withFile(guestPath(file.substring(eq + 1)), input(Path.of(file.substring(0, eq))));
        }
        if (stdin != null) {
            b.withStdin(input(stdin));
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    /** {@code 500ms}, {@code 30s}, {@code 5m} or {@code 1h}. */
    private java.time.Duration duration(String text) {
        var m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)").matcher(text);
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw usage("--checkpoint-every is a positive duration like 500ms, 30s, 5m or 1h, not " + text);
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> java.time.Duration.ofMillis(n);
            case "s" -> java.time.Duration.ofSeconds(n);
            case "m" -> java.time.Duration.ofMinutes(n);
            default -> java.time.Duration.ofHours(n);
        };
    }

    /** The path under /data a file goes to: {@code /data/a/b} and {@code a/b} both mean {@code a/b}. */
    private String guestPath(String remote) {
        if (remote.startsWith(DATA)) {
            return remote.substring(DATA.length());
        }
        if (remote.startsWith("/")) {
            throw usage("the guest's files live under /data, not at " + remote);
        }
        return remote;
    }

    private byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw usage("cannot read " + file + ": "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
        }
    }

    /** A local input, streamed at spawn time; it must be a readable regular file now. */
    private Input input(Path file) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw usage("cannot read " + file + ": " + (Files.exists(file) ? "not a readable file" : "no such file"));
        }
        return Input.of(file);
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
