package pm.coordinator.zk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import pm.common.cluster.ClusterLayout;
import pm.v1.OwnershipRecord;

/** The coordinator's read view of the ownership records against a real ZooKeeper, when reads race deletes. */
class OwnershipCacheTest {
    private static final ClusterLayout LAYOUT = new ClusterLayout("/pm");

    private TestingServer server;
    private CuratorFramework zk;
    private CuratorFramework other;
    private OwnershipCache cache;
    private OwnershipStore store;

    @BeforeEach
    void start() throws Exception {
        server = new TestingServer(true);
        zk = CuratorFrameworkFactory.newClient(server.getConnectString(), new RetryOneTime(100));
        zk.start();
        other = CuratorFrameworkFactory.newClient(server.getConnectString(), new RetryOneTime(100));
        other.start();
        cache = new OwnershipCache(zk, LAYOUT, RecordCodec.PLAIN);
        store = new OwnershipStore(zk, LAYOUT, cache, RecordCodec.PLAIN);
        store.ensureLayout();
        cache.start();
    }

    @AfterEach
    void stop() throws Exception {
        cache.close();
        other.close();
        zk.close();
        server.close();
    }

    @Test
    void aReadThatLostTheRaceWithADeleteDoesNotBringTheRecordBack() throws Exception {
        OwnershipRecord killed = OwnershipRecord.newBuilder()
                .setProcessId("p")
                .setOwner("a")
                .setEpoch(1)
                .build();
        store.create(killed);
        store.delete("p", 0);
        // Watch events come in order: once the view has a record created after the delete, it has seen the delete.
        other.create()
                .forPath(
                        LAYOUT.process("q"),
                        OwnershipRecord.newBuilder()
                                .setProcessId("q")
                                .setOwner("b")
                                .build()
                                .toByteArray());
        awaitListed("q");

        cache.read(killed, 0); // the late end of a read of p that began before the delete

        assertThat(cache.find("p")).isEmpty();
        assertThat(cache.ownedBy("a")).isZero();
    }

    @Test
    void aReadRefreshesARecordChangedByAnotherWriter() throws Exception {
        OwnershipRecord r = OwnershipRecord.newBuilder()
                .setProcessId("p")
                .setOwner("a")
                .setEpoch(1)
                .build();
        store.create(r);
        other.setData()
                .forPath(
                        LAYOUT.process("p"),
                        r.toBuilder().setOwner("b").setEpoch(2).build().toByteArray());

        assertThat(store.get("p").value().getOwner()).isEqualTo("b");

        assertThat(cache.find("p")).get().extracting(v -> v.value().getOwner()).isEqualTo("b");
        assertThat(cache.ownedBy("b")).isEqualTo(1);
        assertThat(cache.ownedBy("a")).isZero();
    }

    private void awaitListed(String id) throws InterruptedException {
        await(id + " reached the view")
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(10))
                .until(() -> cache.find(id).isPresent());
    }
}
