package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import pm.client.ClusterClient;
import pm.client.StreamHandle;
import pm.client.testing.ClusterExtension;
import pm.client.testing.Guests;
import pm.client.testing.Logs;
import pm.client.testing.TestCluster;
import pm.v1.LogChunk;

/**
 * The leader coordinator dies: a client given every coordinator carries on with the new leader, and a log it
 * was following goes on from where it was. The shared cluster gets a new coordinator afterwards, so it has a
 * standby again.
 */
@ExtendWith(ClusterExtension.class)
class CoordinatorFailoverTest {
    private static final int TICKS = 60;

    @Test
    void aClientAndItsFollowedLogSurviveTheLeadersDeath(TestCluster cluster) throws Exception {
        ClusterClient client = cluster.client(cluster.coordinatorAddresses());
        String oldLeader = cluster.leader();
        client.spawn(Guests.counter("failover-logs", TICKS, 20_000, 1 << 20).build());
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        StreamHandle follow = client.async().logs("failover-logs", true, 0, chunk -> {
            if (chunk.getStream() == LogChunk.Stream.STREAM_STDOUT) {
                seen.writeBytes(chunk.getData().toByteArray());
            }
        });
        try {
            Logs.awaitTick(client, "failover-logs", 3);

            cluster.killCoordinator(oldLeader);

            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> !client.leader().getLeaderAddress().isEmpty() && !client.leader().getLeaderAddress().equals(oldLeader));
            assertThat(client.nodes()).hasSizeGreaterThanOrEqualTo(ClusterExtension.AGENTS.size());
            follow.done().get(120, TimeUnit.SECONDS);
            List<String> ticks = seen.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("tick ")).map(l -> l.split(" ")[1]).toList();
            assertThat(ticks).containsExactlyElementsOf(IntStream.range(0, TICKS).mapToObj(Integer::toString).toList());
            assertThat(seen.toString(StandardCharsets.UTF_8)).endsWith("done\n");
        } finally {
            follow.close();
            cluster.addCoordinator("coordinator-after-failover");
        }
    }
}
