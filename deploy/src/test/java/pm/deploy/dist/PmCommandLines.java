package pm.deploy.dist;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import pm.agent.AgentMain;
import pm.client.cli.Pmctl;
import pm.common.cli.ConfigFile;
import pm.coordinator.CoordinatorMain;
import pm.deploy.CertsMain;
import pm.deploy.EmbeddedZooKeeperMain;
import pm.deploy.LocalClusterMain;

/**
 * The command lines of the real mains, asked through picocli: what the distribution's files pass to
 * {@code bin/pm SUBCOMMAND ...} or {@code bin/pmctl ...} is checked against them, so a flag renamed in a
 * main fails here rather than on an operator's host.
 */
final class PmCommandLines {
    /** The subcommands bin/pm offers, each with a fresh picocli command of its main; demo takes no flags. */
    static final Set<String> PM_SUBCOMMANDS = Set.of("agent", "coordinator", "zookeeper", "certs", "dev", "demo");

    private PmCommandLines() {}

    /** A fresh command line of {@code bin/pm SUBCOMMAND}. */
    static CommandLine pm(String subcommand) {
        return switch (subcommand) {
            case "agent" -> new CommandLine(new AgentMain());
            case "coordinator" -> new CommandLine(new CoordinatorMain());
            case "zookeeper" -> new CommandLine(new EmbeddedZooKeeperMain());
            case "certs" -> new CommandLine(new CertsMain());
            case "dev" -> new CommandLine(new LocalClusterMain());
            default -> throw new AssertionError("bin/pm has no flags to check for '" + subcommand + "'");
        };
    }

    /** A fresh command line of {@code bin/pmctl}, printing nowhere. */
    static CommandLine pmctl() {
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
        return new CommandLine(new Pmctl(Map.of(), nowhere, nowhere));
    }

    /**
     * What is wrong with running {@code line} on {@code args} (empty if nothing): flags the command (or the
     * subcommand the arguments name) does not have, hidden flags (for tests, not installs), and anything else
     * picocli refuses when it parses them. A {@code --config FILE} is read from {@code configs} by its file
     * name (the samples in conf/ stand for /etc/pm/...), checked like the daemon checks it, and supplies
     * defaults, as it does at start.
     */
    static List<String> problems(String where, CommandLine line, List<String> args, Path configs) {
        List<String> problems = new ArrayList<>();
        CommandSpec spec = line.getCommandSpec();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--")) {
                break;
            }
            if (spec.subcommands().containsKey(arg)) {
                spec = spec.subcommands().get(arg).getCommandSpec();
                continue;
            }
            if (!arg.startsWith("-")) {
                continue;
            }
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            OptionSpec option = spec.findOption(name);
            if (option == null) {
                problems.add(where + " passes " + name + ", which " + spec.qualifiedName() + " does not have (it has "
                        + new TreeSet<>(spec.optionsMap().keySet()) + ")");
            } else if (option.hidden()) {
                problems.add(
                        where + " passes " + name + ", a hidden flag of " + spec.qualifiedName() + " meant for tests");
            }
            boolean takesValue = option != null && option.arity().min() > 0 && !arg.contains("=");
            if (name.equals("--config") && i + 1 < args.size()) {
                Path sample = configs.resolve(Path.of(args.get(i + 1)).getFileName());
                if (!Files.isRegularFile(sample)) {
                    problems.add(
                            where + " reads " + args.get(i + 1) + ", but conf/ has no sample " + sample.getFileName());
                } else {
                    try {
                        ConfigFile config = ConfigFile.load(sample);
                        config.check(spec);
                        line.setDefaultValueProvider(config);
                    } catch (IllegalArgumentException e) {
                        problems.add(where + ": " + e.getMessage());
                    }
                }
            }
            if (takesValue) {
                i++; // its value, which may look like a subcommand's name
            }
        }
        if (problems.isEmpty()) {
            try {
                line.parseArgs(args.toArray(String[]::new));
            } catch (CommandLine.ParameterException e) {
                problems.add(where + ": " + e.getMessage());
            }
        }
        return problems;
    }
}
