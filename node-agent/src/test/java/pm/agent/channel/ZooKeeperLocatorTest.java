package pm.agent.channel;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import pm.common.cluster.ClusterLayout;
import pm.v1.NodeRecord;
import pm.v1.OwnershipRecord;

/** The ZooKeeper locator reads the cluster's records on a real (test) ZooKeeper server. */
class ZooKeeperLocatorTest {
    private static final ClusterLayout LAYOUT = ClusterLayout.DEFAULT;

    @Test
    void aProcessIsWhereItsOwnerNodeListens() throws Exception {
        try (TestingServer server = new TestingServer();
                CuratorFramework zk =
                        CuratorFrameworkFactory.newClient(server.getConnectString(), new RetryOneTime(100))) {
            zk.start();
            zk.create()
                    .creatingParentsIfNeeded()
                    .forPath(
                            LAYOUT.node("n2"),
                            NodeRecord.newBuilder()
                                    .setName("n2")
                                    .setAddress("10.0.0.2:7000")
                                    .build()
                                    .toByteArray());
            zk.create()
                    .creatingParentsIfNeeded()
                    .forPath(
                            LAYOUT.process("p1"),
                            OwnershipRecord.newBuilder()
                                    .setProcessId("p1")
                                    .setOwner("n2")
                                    .setEpoch(3)
                                    .build()
                                    .toByteArray());
            zk.create()
                    .creatingParentsIfNeeded()
                    .forPath(
                            LAYOUT.process("orphan"),
                            OwnershipRecord.newBuilder()
                                    .setProcessId("orphan")
                                    .setOwner("gone")
                                    .build()
                                    .toByteArray());
            ZooKeeperLocator locator = new ZooKeeperLocator(zk, LAYOUT);

            assertThat(locator.addressOf("p1")).contains("10.0.0.2:7000");
            assertThat(locator.addressOf("unknown")).as("no ownership record").isEmpty();
            assertThat(locator.addressOf("orphan"))
                    .as("owner without a membership record")
                    .isEmpty();

            zk.setData()
                    .forPath(
                            LAYOUT.node("n2"),
                            NodeRecord.newBuilder()
                                    .setName("n2")
                                    .setAddress("10.0.0.9:7000")
                                    .build()
                                    .toByteArray());
            assertThat(locator.addressOf("p1")).as("read afresh on each lookup").contains("10.0.0.9:7000");
        }
    }
}
