package pm.common.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;

class ZooKeeperConnectionMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void theGaugeFollowsTheConnectionAndEachStateEnteredIsCounted() throws Exception {
        try (TestingServer server = new TestingServer();
                CuratorFramework zk = CuratorFrameworkFactory.newClient(
                        server.getConnectString(), 5_000, 1_000, new RetryOneTime(100))) {
            new ZooKeeperConnectionMetrics(zk).bindTo(registry);
            assertThat(connected()).isZero();

            zk.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> connected() == 1);
            assertThat(changes("connected")).isEqualTo(1);

            server.stop();
            await().atMost(Duration.ofSeconds(30)).until(() -> connected() == 0);
            assertThat(changes("suspended")).isEqualTo(1);

            server.restart();
            await().atMost(Duration.ofSeconds(30)).until(() -> connected() == 1);
            assertThat(changes("reconnected")).isEqualTo(1);
            assertThat(changes("lost")).isZero();
        }
    }

    private double connected() {
        return registry.get("pm.zookeeper.connected").gauge().value();
    }

    private double changes(String state) {
        return registry.get("pm.zookeeper.connection.changes")
                .tag("state", state)
                .counter()
                .count();
    }
}
