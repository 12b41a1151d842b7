package pm.client.cli;

import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import pm.client.CheckpointOptions;
import pm.client.ClusterClient;
import pm.v1.ClusterListResponse;
import pm.v1.ClusterProcess;
import pm.v1.MigrationReport;

/** The commands about one process that exists already: each one call, its result printed as a row. */
final class ProcessCommands {
    private ProcessCommands() {}

    /** A command that changes one process and prints it as {@code ps} would. */
    abstract static class OneProcess extends ClusterCommand {
        @Parameters(paramLabel = "ID", description = "The process.")
        String id;

        @Override
        final void run(ClusterClient client, Output output) {
            ClusterProcess p = apply(client);
            output.print(p, Views.processes(List.of(p)));
        }

        abstract ClusterProcess apply(ClusterClient client);
    }

    @Command(name = "inspect", description = "Show everything the cluster knows about a process.")
    static final class Inspect extends ClusterCommand {
        @Parameters(paramLabel = "ID", description = "The process.")
        String id;

        @Override
        void run(ClusterClient client, Output output) {
            ClusterProcess p = client.get(id);
            Table t = new Table("FIELD", "VALUE")
                    .add("id", p.getProcessId())
                    .add("node", p.getNode())
                    .add("state", Views.state(p.getState()))
                    .add("epoch", Long.toString(p.getEpoch()))
                    .add("labels", Views.labels(p.getLabelsMap()))
                    .add(
                            "module",
                            java.util.HexFormat.of()
                                    .formatHex(p.getModuleSha256().toByteArray()))
                    .add("last checkpoint", p.getLastCheckpointId().isEmpty() ? "-" : p.getLastCheckpointId())
                    .add(
                            "checkpoint held by",
                            p.getCheckpointNodesCount() == 0
                                    ? "-"
                                    : String.join(", ", p.getCheckpointNodesList())
                                            + (p.getCheckpointNodesList().stream()
                                                            .anyMatch(n -> !n.equals(p.getNode()))
                                                    ? " (durable)"
                                                    : " (owner only)"))
                    .add(
                            "placement",
                            p.getPlacement().getNode().isEmpty()
                                    ? "any node"
                                    : p.getPlacement().getNode()
                                            + (p.getPlacement().getPinned() ? " (pinned)" : ""));
            if (p.hasInfo()) {
                var info = p.getInfo();
                t.add("memory", Views.bytes(info.getMemoryPages() * 65536L))
                        .add("instructions", Long.toString(info.getInstructionsRetired()));
                if (info.getState() == pm.v1.ProcessState.PROCESS_STATE_EXITED) {
                    t.add("exit status", Integer.toString(info.getExitStatus()));
                }
                if (!info.getFailure().isEmpty()) {
                    t.add("failure", Views.oneLine(info.getFailure()));
                }
            } else {
                t.add("live view", "the owner could not be asked");
            }
            output.print(p, t);
        }
    }

    @Command(name = "freeze", description = "Stop a process at its next safepoint; a frozen process holds no thread.")
    static final class Freeze extends OneProcess {
        @Override
        ClusterProcess apply(ClusterClient client) {
            return client.freeze(id);
        }
    }

    @Command(name = "thaw", description = "Let a frozen process run again.")
    static final class Thaw extends OneProcess {
        @Override
        ClusterProcess apply(ClusterClient client) {
            return client.thaw(id);
        }
    }

    @Command(name = "suspend", description = "Checkpoint a process and stop it; only its image remains.")
    static final class Suspend extends OneProcess {
        @Override
        ClusterProcess apply(ClusterClient client) {
            return client.suspend(id);
        }
    }

    @Command(name = "resume", description = "Bring a suspended process back, on NODE or where placement picks.")
    static final class Resume extends OneProcess {
        @Option(names = "--node", paramLabel = "NODE", defaultValue = "", description = "Resume it on this node.")
        String node;

        @Override
        ClusterProcess apply(ClusterClient client) {
            return node.isEmpty() ? client.resume(id) : client.resume(id, node);
        }
    }

    @Command(name = "kill", description = "End a process and forget its checkpoints.")
    static final class Kill extends OneProcess {
        @Override
        ClusterProcess apply(ClusterClient client) {
            return client.kill(id);
        }
    }

    @Command(
            name = "rm",
            description = "Remove an ended process: its record, output and files (a live one needs --force).")
    static final class Remove extends OneProcess {
        @Option(
                names = {"-f", "--force"},
                description = "Kill it first if it still runs.")
        boolean force;

        @Override
        ClusterProcess apply(ClusterClient client) {
            ClusterProcess p = client.get(id);
            if (!WaitCommand.ended(p) && !force) {
                throw new IllegalStateException("process " + id + " has not ended (it is " + Views.state(p)
                        + "); pmctl kill " + id + ", or rm --force");
            }
            return client.kill(id); // killing an ended process removes what is left of it
        }
    }

    @Command(name = "checkpoint", description = "Write a process's image to its node's checkpoint store.")
    static final class Checkpoint extends ClusterCommand {
        @Parameters(paramLabel = "ID", description = "The process.")
        String id;

        @Option(names = "--incremental", description = "Only the pages changed since the last checkpoint.")
        boolean incremental;

        @Override
        void run(ClusterClient client, Output output) {
            var info = client.checkpoint(id, incremental ? CheckpointOptions.incremental() : CheckpointOptions.full());
            output.print(info, Views.checkpoint(info));
        }
    }

    @Command(name = "migrate", description = "Move a live process to another node.")
    static final class Migrate extends ClusterCommand {
        @Parameters(paramLabel = "ID", description = "The process.")
        String id;

        @Option(
                names = "--to",
                paramLabel = "NODE",
                defaultValue = "",
                description = "The target (default: the best other node).")
        String node;

        @Mixin
        ProgressOption progress;

        @Override
        void run(ClusterClient client, Output output) {
            MigrationReport report;
            try (ProgressOption.Progress shown = progress.migrate(pmctl, client, id, node)) {
                report = node.isEmpty() ? client.migrate(id) : client.migrate(id, node);
                shown.finish(String.format(
                        Locale.ROOT,
                        "moved from %s to %s, epoch %d, downtime %s",
                        report.getSourceNode(),
                        report.getTargetNode(),
                        report.getEpoch(),
                        Views.micros(report.getTransfer().getDowntimeMicros())));
            }
            output.print(report, Views.migrations(List.of(report)));
        }
    }

    /** The list {@code ps -o json} prints: one object, so a script parses the whole answer at once. */
    static ClusterListResponse asList(List<ClusterProcess> processes) {
        return ClusterListResponse.newBuilder().addAllProcesses(processes).build();
    }
}
