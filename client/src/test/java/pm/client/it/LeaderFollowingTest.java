package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import pm.client.ClusterClient;
import pm.client.testing.ClusterExtension;
import pm.client.testing.DaemonJvm;
import pm.client.testing.PmctlRunner;
import pm.client.testing.TestCluster;
import pm.v1.LeaderInfo;

/** Callers may name any coordinator: the SDK finds the leader behind a standby or past one that is down. */
@ExtendWith(ClusterExtension.class)
class LeaderFollowingTest {
    private final TestCluster cluster;

    LeaderFollowingTest(TestCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void aStandbySaysWhoLeads() {
        LeaderInfo info = cluster.client(cluster.standby()).leader();

        assertThat(info.getIsLeader()).isFalse();
        assertThat(info.getLeaderAddress()).isEqualTo(cluster.leader());
    }

    @Test
    void aClientGivenOnlyAStandbyFollowsItToTheLeader() {
        ClusterClient client = cluster.client(cluster.standby());

        assertThat(client.nodes()).hasSizeGreaterThanOrEqualTo(ClusterExtension.AGENTS.size());
        assertThat(client.list()).isNotNull();
    }

    @Test
    void aClientSkipsACoordinatorThatIsDown() throws Exception {
        String dead = "127.0.0.1:" + DaemonJvm.freePort();
        ClusterClient client = cluster.client(dead + "," + cluster.standby());

        assertThat(client.nodes()).hasSizeGreaterThanOrEqualTo(ClusterExtension.AGENTS.size());
    }

    @Test
    void pmctlGivenAStandbyWorks() {
        PmctlRunner.Result r = new PmctlRunner(cluster.standby()).run("nodes");

        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).contains(ClusterExtension.AGENTS.get(0));
    }
}
