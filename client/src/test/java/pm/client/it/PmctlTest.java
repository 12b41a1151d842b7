package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.util.JsonFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import pm.client.testing.ClusterExtension;
import pm.client.testing.Guests;
import pm.client.testing.Logs;
import pm.client.testing.PmctlRunner;
import pm.client.testing.TestCluster;
import pm.v1.ClusterListResponse;
import pm.v1.ClusterProcess;
import pm.v1.NodesResponse;
import pm.v1.ProcessState;

/** pmctl end to end against a real cluster: what each command prints and its exit code. */
@ExtendWith(ClusterExtension.class)
class PmctlTest {
    private static final String COUNTER = Guests.COUNTER.toString();

    private final TestCluster cluster;
    private final PmctlRunner pmctl;

    PmctlTest(TestCluster cluster) {
        this.cluster = cluster;
        this.pmctl = new PmctlRunner(cluster.coordinatorAddresses());
    }

    @AfterEach
    void killLeftovers() {
        for (String id : List.of(
                "cli-run",
                "cli-json",
                "cli-life",
                "cli-move",
                "cli-export",
                "cli-imported",
                "cli-events",
                "cli-short",
                "cli-rb-0",
                "cli-rb-1",
                "cli-rb-2")) {
            pmctl.run("kill", id);
        }
    }

    private PmctlRunner.Result ok(String... args) {
        PmctlRunner.Result r = pmctl.run(args);
        assertThat(r.exitCode())
                .as("pmctl " + String.join(" ", args) + "\n" + r)
                .isZero();
        assertThat(r.stderr()).as("pmctl " + String.join(" ", args)).isEmpty();
        return r;
    }

    private PmctlRunner.Result runLongRunning(String id, String... more) {
        List<String> args =
                new java.util.ArrayList<>(List.of("run", COUNTER, "--id", id, "--file", inputFile() + "=/data/input"));
        args.addAll(List.of(more));
        args.addAll(List.of("--", "1000000", "2000", "1048576"));
        return ok(args.toArray(String[]::new));
    }

    private static String inputFile() {
        try {
            Path f = Files.createTempFile("pmctl-input", ".txt");
            Files.writeString(f, "the quick brown fox\n".repeat(50));
            f.toFile().deleteOnExit();
            return f.toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void runPrintsTheNewProcessAndPsListsItWithItsLabels() {
        PmctlRunner.Result run = runLongRunning("cli-run", "--label", "team=cli", "--label", "tier=test");

        assertThat(run.stdoutLines().get(0))
                .startsWith("ID")
                .contains("NODE", "STATE", "EPOCH", "MEMORY", "INSTRUCTIONS", "LABELS");
        assertThat(run.stdoutLines().get(1)).startsWith("cli-run ").contains("running", "team=cli,tier=test");
        PmctlRunner.Result ps = ok("ps", "--label", "team=cli");
        assertThat(ps.stdoutLines()).hasSize(2);
        assertThat(ps.stdoutLines().get(1)).startsWith("cli-run ");
        // columns line up: every row's NODE starts where the header's does
        int nodeColumn = ps.stdoutLines().get(0).indexOf("NODE");
        assertThat(ps.stdoutLines().get(1).charAt(nodeColumn - 1)).isEqualTo(' ');
        assertThat(ps.stdoutLines().get(1).charAt(nodeColumn)).isNotEqualTo(' ');
    }

    @Test
    void jsonOutputIsProtobufJson() throws Exception {
        runLongRunning("cli-json", "--label", "json=yes");

        PmctlRunner.Result ps = ok("-o", "json", "ps", "--label", "json=yes");
        ClusterListResponse.Builder list = ClusterListResponse.newBuilder();
        JsonFormat.parser().merge(ps.stdout(), list);
        assertThat(list.getProcessesList())
                .extracting(ClusterProcess::getProcessId)
                .containsExactly("cli-json");

        PmctlRunner.Result inspect = ok("inspect", "cli-json", "-o", "json");
        ClusterProcess.Builder p = ClusterProcess.newBuilder();
        JsonFormat.parser().merge(inspect.stdout(), p);
        assertThat(p.getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);

        NodesResponse.Builder nodes = NodesResponse.newBuilder();
        JsonFormat.parser().merge(ok("-o", "json", "nodes").stdout(), nodes);
        assertThat(nodes.getNodesList())
                .extracting(n -> n.getRecord().getName())
                .containsAll(ClusterExtension.AGENTS);
    }

    @Test
    void nodesListsEveryAgent() {
        PmctlRunner.Result nodes = ok("nodes");
        assertThat(nodes.stdoutLines().get(0)).startsWith("NAME").contains("ADDRESS", "STATE", "PROCESSES");
        for (String agent : ClusterExtension.AGENTS) {
            assertThat(nodes.stdout()).containsPattern("(?m)^" + agent + " +127\\.0\\.0\\.1:\\d+ +(active|draining) ");
        }
    }

    @Test
    void inspectFreezeThawCheckpointSuspendResumeAndKillAProcess() {
        List<String> nodes = cluster.activeNodes();
        runLongRunning("cli-life", "--node", nodes.get(0));

        assertThat(ok("inspect", "cli-life").stdout())
                .containsPattern("(?m)^node +" + nodes.get(0) + "$")
                .containsPattern("(?m)^state +running$");
        assertThat(ok("freeze", "cli-life").stdout()).contains(" frozen ");
        assertThat(ok("thaw", "cli-life").stdout()).contains(" running ");
        PmctlRunner.Result full = ok("checkpoint", "cli-life");
        assertThat(full.stdoutLines().get(0)).startsWith("PROCESS").contains("CHECKPOINT", "BASE", "BYTES");
        String fullId = full.stdoutLines().get(1).split(" +")[1];
        assertThat(ok("checkpoint", "--incremental", "cli-life")
                        .stdoutLines()
                        .get(1)
                        .split(" +")[2])
                .isEqualTo(fullId);
        assertThat(ok("suspend", "cli-life").stdout()).contains(" suspended ");
        assertThat(ok("resume", "cli-life").stdoutLines().get(1))
                .startsWith("cli-life ")
                .contains(" " + nodes.get(0) + " ", " running ");
        ok("suspend", "cli-life");
        assertThat(ok("resume", "cli-life", "--node", nodes.get(1))
                        .stdoutLines()
                        .get(1))
                .startsWith("cli-life ")
                .contains(" " + nodes.get(1) + " ", " running ");
        assertThat(ok("kill", "cli-life").stdout()).contains(" killed ");
    }

    @Test
    void migrateMovesAProcessAndPrintsTheMove() {
        List<String> nodes = cluster.activeNodes();
        runLongRunning("cli-move", "--node", nodes.get(0));

        PmctlRunner.Result move = ok("migrate", "cli-move", "--to", nodes.get(2));

        assertThat(move.stdoutLines().get(0)).startsWith("PROCESS").contains("FROM", "TO", "DOWNTIME");
        assertThat(move.stdoutLines().get(1).split(" +")).startsWith("cli-move", nodes.get(0), nodes.get(2));
        assertThat(ok("ps", "--node", nodes.get(2)).stdout()).containsPattern("(?m)^cli-move +" + nodes.get(2) + " ");
        PmctlRunner.Result anywhere = ok("migrate", "cli-move");
        assertThat(anywhere.stdoutLines().get(1).split(" +")[2])
                .isNotEqualTo(nodes.get(2))
                .isIn(nodes);
    }

    @Test
    void rebalanceDryRunPrintsEveryNodesLoadAndThePlanAndMovesNothing() throws Exception {
        List<String> nodes = cluster.activeNodes();
        for (int i = 0; i < 3; i++) {
            String id = "cli-rb-" + i;
            runLongRunning(id);
            if (!ok("-o", "json", "inspect", id).stdout().contains("\"node\": \"" + nodes.get(0) + "\"")) {
                ok("migrate", id, "--to", nodes.get(0));
            }
        }
        String before = ok("ps").stdout()
                .lines()
                .skip(1)
                .map(l -> l.split(" +")[0] + "@" + l.split(" +")[1])
                .sorted()
                .toList()
                .toString();

        PmctlRunner.Result dry = ok("rebalance", "--dry-run");

        List<String> lines = dry.stdoutLines();
        assertThat(lines.get(0).split(" {2,}"))
                .containsExactly("NODE", "PROCESSES", "MEMORY", "CPU", "LOAD", "TARGET", "AFTER", "PROCESSES AFTER");
        for (String n : nodes) {
            assertThat(dry.stdout())
                    .containsPattern(
                            "(?m)^" + n + " +\\d+ +\\S+ \\S+ +[\\d.]+ M/s +[\\d.]+% +[\\d.]+% +[\\d.]+% +\\d+$");
        }
        assertThat(dry.stdout())
                .containsPattern("(?m)^PROCESS +FROM +TO +LOAD +MEMORY$")
                .containsPattern("(?m)^cli-rb-\\d +" + nodes.get(0) + " +\\S+ +[\\d.]+% +[\\d.]+ MiB$");
        assertThat(lines.get(lines.size() - 1))
                .matches("imbalance [\\d.]+% -> [\\d.]+%; \\d+ moves? planned \\(dry run\\)(; .*)?");
        String after = ok("ps").stdout()
                .lines()
                .skip(1)
                .map(l -> l.split(" +")[0] + "@" + l.split(" +")[1])
                .sorted()
                .toList()
                .toString();
        assertThat(after).as("a dry run moves nothing").isEqualTo(before);

        pm.v1.RebalancePlan.Builder plan = pm.v1.RebalancePlan.newBuilder();
        JsonFormat.parser().merge(ok("-o", "json", "rebalance", "--dry-run").stdout(), plan);
        assertThat(plan.getExecuted()).isFalse();
        assertThat(plan.getBeforeList()).extracting(pm.v1.NodeLoad::getNode).containsExactlyInAnyOrderElementsOf(nodes);
        assertThat(plan.getImbalanceBefore()).isGreaterThan(0.10);
    }

    @Test
    void logsPrintsWhatAFinishedProcessWrote() {
        ok("run", COUNTER, "--id", "cli-short", "--", "5", "100", "65536");
        String out = Logs.followToEnd(cluster.client(), "cli-short");

        PmctlRunner.Result logs = ok("logs", "cli-short");

        assertThat(logs.stdout()).isEqualTo(out).startsWith("tick 0 ").endsWith("done\n");
    }

    @Test
    void eventsStreamsWhatHappensToAProcess() throws Exception {
        runLongRunning("cli-events");
        CompletableFuture<PmctlRunner.Result> events =
                CompletableFuture.supplyAsync(() -> pmctl.run("events", "--process", "cli-events", "--limit", "2"));
        // When the stream has subscribed is not observable from here: freeze and thaw until it has seen two events.
        await("the events stream saw two events")
                .atMost(Duration.ofMinutes(2))
                .pollInSameThread()
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(1))
                .until(() -> {
                    ok("freeze", "cli-events");
                    ok("thaw", "cli-events");
                    return events.isDone();
                });

        PmctlRunner.Result result = events.get(60, TimeUnit.SECONDS);
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.stdoutLines()).hasSize(2);
        assertThat(result.stdoutLines()).allSatisfy(l -> assertThat(l).contains("process=cli-events"));
        // Consecutive events of the loop: one of each, in whichever order the subscription caught them.
        assertThat(result.stdoutLines())
                .anySatisfy(l -> assertThat(l).contains("frozen"))
                .anySatisfy(l -> assertThat(l).contains("thawed"));
    }

    @Test
    void exportWritesAnImageThatImportBringsBackUnderANewId(@TempDir Path dir) {
        List<String> nodes = cluster.activeNodes();
        runLongRunning("cli-export");
        ok("freeze", "cli-export");
        Path image = dir.resolve("cli-export.img");

        PmctlRunner.Result export = ok("export", "cli-export", image.toString());

        assertThat(image).isNotEmptyFile();
        assertThat(export.stdoutLines().get(1)).startsWith("cli-export ").contains(image.toString());
        PmctlRunner.Result imported = ok("import", image.toString(), "--id", "cli-imported", "--node", nodes.get(1));
        assertThat(imported.stdoutLines().get(1)).startsWith("cli-imported ").contains(" " + nodes.get(1) + " ");
        assertThat(ok("ps").stdout()).containsPattern("(?m)^cli-imported ").containsPattern("(?m)^cli-export ");
    }
}
