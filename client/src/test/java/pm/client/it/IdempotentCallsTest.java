package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import pm.client.ClusterClient;
import pm.client.ListFilter;
import pm.client.testing.ClusterExtension;
import pm.client.testing.Guests;
import pm.client.testing.TestCluster;
import pm.testsupport.TcpProxy;
import pm.v1.ClusterProcess;
import pm.v1.MigrationReport;

/**
 * Calls the SDK resends after a connection broke are safe to resend: the network fails after the leader
 * acted (a proxy resets the connection instead of passing the reply on), the SDK tries the next address,
 * and the cluster acts once.
 */
@ExtendWith(ClusterExtension.class)
class IdempotentCallsTest {
    private final TestCluster cluster;

    IdempotentCallsTest(TestCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void aSpawnWithoutAnIdWhoseReplyIsLostStartsOneProcess() throws Exception {
        String leader = cluster.leader();
        try (TcpProxy proxy = TcpProxy.http2("127.0.0.1:" + leader.substring(leader.lastIndexOf(':') + 1))) {
            ClusterClient client = cluster.client(proxy.address() + "," + leader);
            client.nodes(); // the connection through the proxy is up, its settings exchanged
            proxy.dropNextReply();

            ClusterProcess p = client.spawn(
                    Guests.longRunning("").withLabel("suite", "idempotent").build());

            assertThat(proxy.replyDropped()).as("the fault fired").isTrue();
            assertThat(client.list(ListFilter.label("suite", "idempotent")))
                    .extracting(ClusterProcess::getProcessId)
                    .containsExactly(p.getProcessId());
            client.kill(p.getProcessId());
        }
    }

    @Test
    void aMigrationWhoseReplyIsLostIsReportedOnceAndDoneOnce() throws Exception {
        String leader = cluster.leader();
        ClusterClient direct = cluster.client();
        ClusterProcess p = direct.spawn(Guests.longRunning("idempotent-move").build());
        String to = cluster.activeNodes().stream()
                .filter(n -> !n.equals(p.getNode()))
                .findFirst()
                .orElseThrow();
        try (TcpProxy proxy = TcpProxy.http2("127.0.0.1:" + leader.substring(leader.lastIndexOf(':') + 1))) {
            ClusterClient client = cluster.client(proxy.address() + "," + leader);
            client.nodes();
            proxy.dropNextReply();

            MigrationReport report =
                    client.migrate(p.getProcessId(), to); // resent after the reset: not "already runs on"

            assertThat(proxy.replyDropped()).as("the fault fired").isTrue();
            assertThat(report.getTargetNode()).isEqualTo(to);
            assertThat(report.getEpoch()).isEqualTo(p.getEpoch() + 1);
            ClusterProcess now = direct.get(p.getProcessId());
            assertThat(now.getNode()).isEqualTo(to);
            assertThat(now.getEpoch()).as("moved once").isEqualTo(p.getEpoch() + 1);
        } finally {
            direct.kill(p.getProcessId());
        }
    }

    @Test
    void aKillAndASuspendWhoseRepliesAreLostAreReportedAsDone() throws Exception {
        String leader = cluster.leader();
        ClusterClient direct = cluster.client();
        ClusterProcess suspended =
                direct.spawn(Guests.longRunning("idempotent-suspend").build());
        ClusterProcess killed =
                direct.spawn(Guests.longRunning("idempotent-kill").build());
        try (TcpProxy proxy = TcpProxy.http2("127.0.0.1:" + leader.substring(leader.lastIndexOf(':') + 1))) {
            // A client per call: after the reset a client goes on with the address that answered.
            ClusterClient first = cluster.client(proxy.address() + "," + leader);
            first.nodes();
            proxy.dropNextReply();
            ClusterProcess s = first.suspend(suspended.getProcessId()); // resent: not "is SUSPENDED, not RUNNING"
            assertThat(proxy.replyDropped()).as("the fault fired").isTrue();
            assertThat(s.getState()).isEqualTo(pm.v1.ProcessState.PROCESS_STATE_SUSPENDED);

            ClusterClient second = cluster.client(proxy.address() + "," + leader);
            second.nodes();
            proxy.dropNextReply();
            ClusterProcess k = second.kill(killed.getProcessId()); // resent: not NOT_FOUND
            assertThat(proxy.replyDropped()).as("the fault fired").isTrue();
            assertThat(k.getProcessId()).isEqualTo(killed.getProcessId());
            assertThat(direct.list()).extracting(ClusterProcess::getProcessId).doesNotContain(killed.getProcessId());
        } finally {
            direct.kill(suspended.getProcessId());
        }
    }
}
