package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import pm.client.ClusterClient;
import pm.client.testing.ClusterExtension;
import pm.client.testing.Guests;
import pm.client.testing.Logs;
import pm.client.testing.PmctlRunner;
import pm.client.testing.TestCluster;
import pm.v1.MigrationReport;
import pm.v1.NodesResponse;

/**
 * pmctl for watching, end to end against a real cluster: {@code top}, {@code ps --watch}, {@code nodes --watch}
 * bounded by {@code -n}, and the progress of migrate on stderr. The runner is not a terminal, so refreshes
 * are plain text one after the other and progress shows only when asked for.
 */
@ExtendWith(ClusterExtension.class)
class PmctlWatchTest {
    private static final List<String> IDS = List.of("watch-busy", "watch-frozen", "watch-ps", "watch-move");

    private final TestCluster cluster;
    private final ClusterClient client;
    private final PmctlRunner pmctl;

    PmctlWatchTest(TestCluster cluster) {
        this.cluster = cluster;
        this.client = cluster.client();
        this.pmctl = new PmctlRunner(cluster.coordinatorAddresses());
    }

    @AfterEach
    void killLeftovers() {
        IDS.forEach(id -> pmctl.run("kill", id));
    }

    private PmctlRunner.Result ok(String... args) {
        PmctlRunner.Result r = pmctl.run(args);
        assertThat(r.exitCode())
                .as("pmctl " + String.join(" ", args) + "\n" + r)
                .isZero();
        return r;
    }

    private void spawnRunning(String id, String label) {
        client.spawn(Guests.longRunning(id).withLabel("watch", label).build());
        Logs.awaitTick(client, id, 1);
    }

    @Test
    void topShowsARunningProcessBusierThanAFrozenOneWithCpuAndMemoryColumns() {
        spawnRunning("watch-busy", "top");
        spawnRunning("watch-frozen", "top");
        ok("freeze", "watch-frozen");

        PmctlRunner.Result top = ok("top", "--label", "watch=top", "-n", "1", "--interval", "1");

        List<String> lines = top.stdoutLines();
        assertThat(lines.get(0))
                .matches(
                        "\\S+Z  2 processes \\(1 running, 1 frozen\\)  cpu [\\d.]+ M/s  memory [\\d.]+ MiB  \\(by cpu\\)");
        assertThat(lines.get(1)).isEmpty();
        assertThat(lines.get(2).split(" {2,}"))
                .containsExactly("ID", "NODE", "STATE", "CPU", "MEMORY", "INSTRUCTIONS", "AGE");
        assertThat(lines).hasSize(5);
        // cpu order: the running counter retires instructions, the frozen one none
        Matcher busy = Pattern.compile("watch-busy +\\S+ +running +([\\d.]+) M/s +[\\d.]+ MiB +\\d+ +\\d+[smhd].*")
                .matcher(lines.get(3));
        assertThat(busy.matches()).as(top.toString()).isTrue();
        assertThat(Double.parseDouble(busy.group(1))).isPositive();
        assertThat(lines.get(4)).matches("watch-frozen +\\S+ +frozen +0\\.0 M/s +[\\d.]+ MiB +\\d+ +\\d+[smhd].*");
        assertThat(top.stderr()).isEmpty();
    }

    @Test
    void topAsJsonPrintsOneLinePerRefreshWithRateMemoryAndTheProcess() throws Exception {
        spawnRunning("watch-busy", "topjson");

        PmctlRunner.Result top =
                ok("top", "-o", "json", "--label", "watch=topjson", "--sort", "mem", "-n", "2", "--interval", "0.5");

        assertThat(top.stdoutLines()).hasSize(2).allSatisfy(line -> {
            assertThat(line)
                    .startsWith("{\"timeMillis\":")
                    .contains("\"sort\":\"mem\"")
                    .containsPattern("\\{\"cpuRate\":[\\d.]+,\"memoryBytes\":[1-9]\\d*,\"process\":\\{");
            // the process is the ClusterProcess of ps -o json: parse it back
            String process = line.substring(
                    line.indexOf("\"process\":") + "\"process\":".length(), line.length() - "}]}".length());
            pm.v1.ClusterProcess.Builder p = pm.v1.ClusterProcess.newBuilder();
            try {
                JsonFormat.parser().merge(process, p);
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new AssertionError(line, e);
            }
            assertThat(p.getProcessId()).isEqualTo("watch-busy");
        });
    }

    @Test
    void psWatchPrintsTheListTheAskedNumberOfTimes() {
        spawnRunning("watch-ps", "ps");

        PmctlRunner.Result ps = ok("ps", "--watch", "--label", "watch=ps", "-n", "3", "--interval", "0.2");

        // three tables apart by a blank line, each the header and the one process
        List<String> tables = List.of(ps.stdout().split("\n\n"));
        assertThat(tables).hasSize(3).allSatisfy(t -> {
            assertThat(t.lines().toList()).hasSize(2);
            assertThat(t).startsWith("ID ").containsPattern("(?m)^watch-ps +\\S+ +running ");
        });
    }

    @Test
    void nodesWatchAsJsonPrintsOneNodesResponsePerLine() throws Exception {
        PmctlRunner.Result nodes = ok("-o", "json", "nodes", "-w", "-n", "2", "--interval", "0.2");

        assertThat(nodes.stdoutLines()).hasSize(2);
        for (String line : nodes.stdoutLines()) {
            NodesResponse.Builder parsed = NodesResponse.newBuilder();
            JsonFormat.parser().merge(line, parsed);
            assertThat(parsed.getNodesList())
                    .extracting(n -> n.getRecord().getName())
                    .containsAll(ClusterExtension.AGENTS);
        }
    }

    @Test
    void pacingWithoutWatchIsAUsageError() {
        PmctlRunner.Result r = pmctl.run("ps", "-n", "2");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).isEqualTo("pmctl: --interval and --iterations go with --watch\n");
    }

    @Test
    void migrateWithProgressReportsTheStepsOnStderrAndLeavesTheJsonOnStdoutIntact() throws Exception {
        List<String> nodes = cluster.activeNodes();
        client.spawn(
                Guests.longRunning("watch-move").onNode(nodes.get(0), false).build());
        Logs.awaitTick(client, "watch-move", 1);

        PmctlRunner.Result move = ok("-o", "json", "migrate", "watch-move", "--to", nodes.get(1), "--progress");

        MigrationReport.Builder report = MigrationReport.newBuilder();
        JsonFormat.parser().merge(move.stdout(), report);
        assertThat(report.getTargetNode()).isEqualTo(nodes.get(1));
        List<String> progress = move.stderr().lines().toList();
        assertThat(progress.get(0))
                .matches("migrate watch-move: asked to move it to " + nodes.get(1) + " \\([\\d.]+ s\\)");
        assertThat(progress.get(progress.size() - 1))
                .matches("migrate watch-move: moved from " + nodes.get(0) + " to " + nodes.get(1) + ", epoch "
                        + report.getEpoch() + ", downtime [\\d.]+ (us|ms|s) \\([\\d.]+ s\\)");
        assertThat(progress)
                .allSatisfy(
                        l -> assertThat(l).startsWith("migrate watch-move: ").doesNotContain("\r", "\033"));

        PmctlRunner.Result back = ok("migrate", "watch-move", "--to", nodes.get(0));
        assertThat(back.stderr())
                .as("off a terminal, progress shows only when asked for")
                .isEmpty();
        assertThat(back.stdoutLines().get(1).split(" +")).startsWith("watch-move", nodes.get(1), nodes.get(0));
    }
}
