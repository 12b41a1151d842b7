package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;

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
            assertThat(drain.stdout()).containsPattern("(?m)^drain-1 +" + DRAINED + " ").containsPattern("(?m)^drain-2 +" + DRAINED + " ");
            assertThat(pmctl.run("nodes").stdout()).containsPattern("(?m)^" + DRAINED + " .* draining ");
            for (String id : List.of("drain-1", "drain-2")) {
                var p = client.get(id);
                assertThat(p.getNode()).isNotEqualTo(DRAINED);
                assertThat(p.getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
            }

            String before = pmctl.run("ps").stdout().lines().skip(1).map(l -> l.split(" +")[0] + l.split(" +")[1]).sorted().toList().toString();
            PmctlRunner.Result runThere = pmctl.run("run", Guests.COUNTER.toString(), "--id", "drain-3", "--node", DRAINED, "--", "1", "1", "1");
            assertThat(runThere.exitCode()).as(runThere.toString()).isEqualTo(1);
            assertThat(runThere.stderr()).startsWith("pmctl: ").endsWith("(FAILED_PRECONDITION)\n").hasLineCount(1);
            PmctlRunner.Result moveThere = pmctl.run("migrate", "drain-1", "--to", DRAINED);
            assertThat(moveThere.exitCode()).as(moveThere.toString()).isEqualTo(1);
            assertThat(moveThere.stderr()).endsWith("(FAILED_PRECONDITION)\n");
            String after = pmctl.run("ps").stdout().lines().skip(1).map(l -> l.split(" +")[0] + l.split(" +")[1]).sorted().toList().toString();
            assertThat(after).isEqualTo(before);
        } finally {
            for (String id : List.of("drain-1", "drain-2")) {
                try {
                    client.kill(id);
                } catch (ClusterClientException ignored) {
                    // never spawned
                }
            }
            cluster.killAgent(DRAINED);
        }
    }
}
