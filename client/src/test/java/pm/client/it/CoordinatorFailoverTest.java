package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import pm.client.ClusterClient;
import pm.client.EventOptions;
import pm.client.LogOptions;
import pm.client.StreamHandle;
import pm.client.testing.ClusterExtension;
import pm.client.testing.Guests;
import pm.client.testing.Logs;
import pm.client.testing.TestCluster;
import pm.v1.ClusterEvent;
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
        StreamHandle follow = client.async().logs("failover-logs", LogOptions.follow(), chunk -> {
            if (chunk.getStream() == LogChunk.Stream.STREAM_STDOUT) {
                seen.writeBytes(chunk.getData().toByteArray());
            }
        });
        try {
            Logs.awaitTick(client, "failover-logs", 3);

            cluster.killCoordinator(oldLeader);

            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions()
                    .until(() -> !client.leader().getLeaderAddress().isEmpty()
                            && !client.leader().getLeaderAddress().equals(oldLeader));
            assertThat(client.nodes()).hasSizeGreaterThanOrEqualTo(ClusterExtension.AGENTS.size());
            follow.done().get(120, TimeUnit.SECONDS);
            List<String> ticks = seen.toString(StandardCharsets.UTF_8)
                    .lines()
                    .filter(l -> l.startsWith("tick "))
                    .map(l -> l.split(" ")[1])
                    .toList();
            assertThat(ticks)
                    .containsExactlyElementsOf(IntStream.range(0, TICKS)
                            .mapToObj(Integer::toString)
                            .toList());
            assertThat(seen.toString(StandardCharsets.UTF_8)).endsWith("done\n");
        } finally {
            follow.close();
            cluster.addCoordinator("coordinator-after-failover");
        }
    }

    @Test
    void eventsFollowedAcrossTheLeadersDeathArriveOnceEachAndNoneIsMissed(TestCluster cluster) throws Exception {
        ClusterClient client = cluster.client(cluster.coordinatorAddresses());
        String oldLeader = cluster.leader();
        List<ClusterEvent> followed = new CopyOnWriteArrayList<>();
        StreamHandle follow = client.async()
                .events(EventOptions.allKept(), followed::add); // all the cluster keeps, then each new one
        try {
            client.spawn(Guests.counter("failover-events-1", 1_000_000, 20_000, 1 << 20)
                    .build());
            await().atMost(Duration.ofSeconds(60)).until(() -> spawned(followed, "failover-events-1"));

            cluster.killCoordinator(oldLeader);
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions()
                    .until(() -> !client.leader().getLeaderAddress().isEmpty()
                            && !client.leader().getLeaderAddress().equals(oldLeader));
            client.spawn(Guests.counter("failover-events-2", 1_000_000, 20_000, 1 << 20)
                    .build());
            await().atMost(Duration.ofMinutes(2)).until(() -> spawned(followed, "failover-events-2"));

            List<Long> indexes = followed.stream().map(ClusterEvent::getIndex).toList();
            assertThat(indexes)
                    .as("every event kept, none twice")
                    .allMatch(i -> i > 0)
                    .isSorted()
                    .doesNotHaveDuplicates();
            assertThat(followed)
                    .anyMatch(e -> e.getKind() == ClusterEvent.Kind.KIND_LEADER_ELECTED
                            && e.getIndex() > indexOfSpawn(followed, "failover-events-1"));
            // What the new leader keeps, read from the start: exactly what the follower saw, none missed.
            List<ClusterEvent> kept = new CopyOnWriteArrayList<>();
            try (StreamHandle all = client.async().events(EventOptions.allKept(), kept::add)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> spawned(kept, "failover-events-2"));
            }
            long last = indexOfSpawn(followed, "failover-events-2");
            assertThat(kept.stream()
                            .map(ClusterEvent::getIndex)
                            .filter(i -> i <= last)
                            .toList())
                    .containsExactlyElementsOf(
                            indexes.stream().filter(i -> i <= last).toList());
        } finally {
            follow.close();
            client.kill("failover-events-1");
            client.kill("failover-events-2");
            cluster.addCoordinator("coordinator-after-events-failover");
        }
    }

    private static boolean spawned(List<ClusterEvent> events, String id) {
        return indexOfSpawn(events, id) > 0;
    }

    private static long indexOfSpawn(List<ClusterEvent> events, String id) {
        return events.stream()
                .filter(e -> e.getKind() == ClusterEvent.Kind.KIND_SPAWNED
                        && e.getProcessId().equals(id))
                .mapToLong(ClusterEvent::getIndex)
                .findFirst()
                .orElse(0);
    }
}
