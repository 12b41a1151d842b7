package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import pm.client.ClusterClient;
import pm.client.ClusterClientException;
import pm.client.testing.ClusterExtension;
import pm.client.testing.Guests;
import pm.client.testing.Logs;
import pm.client.testing.PmctlRunner;
import pm.client.testing.TestCluster;
import pm.v1.ProcessState;

/**
 * Draining a node moves its processes elsewhere and keeps new work off it. The shared cluster gets a fourth
 * agent for this, killed at the end, so the other tests keep their three active nodes.
 */
@ExtendWith(ClusterExtension.class)
class DrainTest {
    private static final String DRAINED = "node-drained";

    @Test
    void drainMovesEveryProcessOffAndTheNodeTakesNoMore(TestCluster cluster) throws Exception {
        cluster.addAgent(DRAINED);
        ClusterClient client = cluster.client();
        PmctlRunner pmctl = new PmctlRunner(cluster.coordinatorAddresses());
        try {
            for (String id : List.of("drain-1", "drain-2")) {
                client.spawn(Guests.longRunning(id).onNode(DRAINED, false).build());
                Logs.awaitTick(client, id, 1);
            }

            PmctlRunner.Result drain = pmctl.run("drain", DRAINED);

            assertThat(drain.exitCode()).as(drain.toString()).isZero();
            assertThat(drain.stdout())
                    .containsPattern("(?m)^drain-1 +" + DRAINED + " ")
                    .containsPattern("(?m)^drain-2 +" + DRAINED + " ");
            assertThat(pmctl.run("nodes").stdout()).containsPattern("(?m)^" + DRAINED + " .* draining ");
            for (String id : List.of("drain-1", "drain-2")) {
                var p = client.get(id);
                assertThat(p.getNode()).isNotEqualTo(DRAINED);
                assertThat(p.getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
            }

            String before = pmctl.run("ps")
                    .stdout()
                    .lines()
                    .skip(1)
                    .map(l -> l.split(" +")[0] + l.split(" +")[1])
                    .sorted()
                    .toList()
                    .toString();
            PmctlRunner.Result runThere = pmctl.run(
                    "run", Guests.COUNTER.toString(), "--id", "drain-3", "--node", DRAINED, "--", "1", "1", "1");
            assertThat(runThere.exitCode()).as(runThere.toString()).isEqualTo(1);
            assertThat(runThere.stderr())
                    .startsWith("pmctl: ")
                    .endsWith("(WRONG_STATE)\n")
                    .hasLineCount(1);
            PmctlRunner.Result moveThere = pmctl.run("migrate", "drain-1", "--to", DRAINED);
            assertThat(moveThere.exitCode()).as(moveThere.toString()).isEqualTo(1);
            assertThat(moveThere.stderr()).endsWith("(WRONG_STATE)\n");
            String after = pmctl.run("ps")
                    .stdout()
                    .lines()
                    .skip(1)
                    .map(l -> l.split(" +")[0] + l.split(" +")[1])
                    .sorted()
                    .toList()
                    .toString();
            assertThat(after).isEqualTo(before);
        } finally {
            for (String id : List.of("drain-1", "drain-2")) {
                try {
                    client.kill(id);
                } catch (ClusterClientException ignored) {
                    // never spawned
                }
            }
            cluster.removeAgent(DRAINED);
        }
    }

    @Test
    void drainWithProgressShowsABarOverTheNodesProcessesAndLeavesTheJsonOnStdoutIntact(TestCluster cluster)
            throws Exception {
        String node = "node-progress";
        cluster.addAgent(node);
        ClusterClient client = cluster.client();
        PmctlRunner pmctl = new PmctlRunner(cluster.coordinatorAddresses());
        List<String> ids = List.of("progress-1", "progress-2");
        try {
            for (String id : ids) {
                client.spawn(Guests.longRunning(id).onNode(node, false).build());
                Logs.awaitTick(client, id, 1);
            }

            PmctlRunner.Result drain = pmctl.run("-o", "json", "drain", node, "--progress");

            assertThat(drain.exitCode()).as(drain.toString()).isZero();
            pm.v1.DrainReport.Builder report = pm.v1.DrainReport.newBuilder();
            com.google.protobuf.util.JsonFormat.parser().merge(drain.stdout(), report);
            assertThat(report.getMovedList())
                    .extracting(pm.v1.MigrationReport::getProcessId)
                    .containsExactlyInAnyOrderElementsOf(ids);
            List<String> progress = drain.stderr().lines().toList();
            assertThat(progress.get(0))
                    .matches("drain " + node + ": \\[-{20}\\] 0/2  2 processes to move \\([\\d.]+ s\\)");
            assertThat(progress.get(progress.size() - 1))
                    .matches("drain " + node + ": \\[#{20}\\] 2/2  2 moved, 0 not moved, 0 ended \\([\\d.]+ s\\)");
            // between them, the moves the event stream saw (best effort: it may have subscribed after the first)
            assertThat(progress)
                    .allSatisfy(l -> assertThat(l).matches("drain " + node + ": \\[[#-]{20}\\] [0-2]/2  .*"));
        } finally {
            for (String id : ids) {
                try {
                    client.kill(id);
                } catch (ClusterClientException ignored) {
                    // never spawned
                }
            }
            cluster.removeAgent(node);
        }
    }

    @Test
    void aNodeHoldingOnlyEndedProcessesDrainsCleanlyAndPsShowsTheirStatus(TestCluster cluster) throws Exception {
        String node = "node-ended";
        cluster.addAgent(node);
        ClusterClient client = cluster.client();
        PmctlRunner pmctl = new PmctlRunner(cluster.coordinatorAddresses());
        try {
            client.spawn(
                    Guests.counter("ended-1", 3, 10, 4096).onNode(node, false).build());
            await().atMost(Duration.ofMinutes(2))
                    .until(() -> client.get("ended-1").getEndedMillis() > 0);

            PmctlRunner.Result drain = pmctl.run("drain", node);

            assertThat(drain.exitCode()).as(drain.toString()).isZero();
            assertThat(drain.stdout()).contains("left (ended): ended-1");
            assertThat(pmctl.run("ps").stdout())
                    .containsPattern("(?m)^ended-1 +" + node + " +exited\\(0\\) +\\d+[smhd]");
        } finally {
            cluster.removeAgent(node);
        }
    }

    @Test
    void theProcessesOfAnAgentThatStoppedAnsweringAreNotShownRunning(TestCluster cluster) throws Exception {
        String node = "node-gone";
        cluster.addAgent(node);
        ClusterClient client = cluster.client();
        PmctlRunner pmctl = new PmctlRunner(cluster.coordinatorAddresses());
        try {
            client.spawn(Guests.longRunning("gone-1").onNode(node, false).build());
            Logs.awaitTick(client, "gone-1", 1);
            cluster.killAgent(node);

            PmctlRunner.Result ps = pmctl.run("ps");

            // Until its session expires the node is still a member; then recovery may move the process (and it runs
            // again).
            assertThat(ps.stdout())
                    .as(ps.toString())
                    .containsPattern("(?m)^gone-1 +(" + node + " +unknown:node-(not-answering|lost) " + "|(?!" + node
                            + ")\\S+ +running )");
        } finally {
            cluster.removeAgent(node);
            try {
                client.kill("gone-1");
            } catch (ClusterClientException ignored) {
                // recovered and killed, or never spawned
            }
        }
    }
}
