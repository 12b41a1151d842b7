package pm.coordinator.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import pm.common.cluster.ClusterLayout;
import pm.v1.ClusterEvent;

/** Events kept in a real ZooKeeper: indexes rise in the order written, reads resume after an index, the oldest are trimmed. */
class EventLogTest {
    private TestingServer server;
    private CuratorFramework zk;

    @BeforeEach
    void start() throws Exception {
        server = new TestingServer(true);
        zk = CuratorFrameworkFactory.newClient(server.getConnectString(), new RetryOneTime(100));
        zk.start();
    }

    @AfterEach
    void stop() throws Exception {
        zk.close();
        server.close();
    }

    private static ClusterEvent event(int i) {
        return ClusterEvent.newBuilder()
                .setKind(ClusterEvent.Kind.KIND_SPAWNED)
                .setProcessId("p" + (i % 3))
                .setDetail("n" + i)
                .build();
    }

    @Test
    void eventsComeBackInTheOrderWrittenAfterTheIndexAskedFor() throws Exception {
        EventLog log = new EventLog(zk, new ClusterLayout("/pm"), 1_000);
        List<ClusterEvent> delivered = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 30; i++) {
            log.append(event(i), delivered::add);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> delivered.size() == 30);
        assertThat(delivered)
                .extracting(ClusterEvent::getDetail)
                .as("delivered in the order written")
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 30)
                        .mapToObj(i -> "n" + i)
                        .toList());
        List<Long> indexes = delivered.stream().map(ClusterEvent::getIndex).toList();
        assertThat(indexes).allMatch(i -> i > 0).isSorted().doesNotHaveDuplicates();

        assertThat(log.since(0, "")).isEqualTo(delivered);
        long tenth = indexes.get(9);
        assertThat(log.since(tenth, "")).isEqualTo(delivered.subList(10, 30));
        assertThat(log.since(tenth, "p1"))
                .extracting(ClusterEvent::getProcessId)
                .hasSize(7)
                .containsOnly("p1");
    }

    @Test
    void onlyTheNewestAreKept() throws Exception {
        EventLog log = new EventLog(zk, new ClusterLayout("/pm"), 10);
        List<ClusterEvent> delivered = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 300; i++) {
            log.append(event(i), delivered::add);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> delivered.size() == 300);
        // trimmed to the newest 10 once, at the 256th answer: what was written by then, less 10, goes
        await().atMost(Duration.ofSeconds(30)).until(() -> log.since(0, "").size() <= 300 - 256 + 10);
        List<ClusterEvent> kept = log.since(0, "");
        assertThat(kept.size()).isGreaterThanOrEqualTo(10);
        assertThat(kept).isEqualTo(delivered.subList(300 - kept.size(), 300));
    }
}
