package pm.agent.cluster;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.common.cluster.ClusterLayout;
import pm.v1.NodeRecord;

/**
 * This agent's ephemeral znode {@code nodes/<name>}: present while its ZooKeeper session lives
 * (Curator re-creates it after a new session), its data the agent's {@link NodeRecord}, refreshed
 * every second so placement sees current load. Owns one daemon thread for the refresh.
 */
public final class NodeRegistration implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRegistration.class);

    private final PersistentNode node;
    private final Supplier<NodeRecord> record;
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pm-agent-node-record");
        t.setDaemon(true);
        return t;
    });

    public NodeRegistration(CuratorFramework zk, ClusterLayout layout, String name, Supplier<NodeRecord> record) {
        this.record = record;
        this.node = new PersistentNode(
                zk, CreateMode.EPHEMERAL, false, layout.node(name), record.get().toByteArray());
    }

    /** Creates the znode and waits up to {@code seconds} for it to exist. */
    public NodeRegistration start(long seconds) throws InterruptedException {
        node.start();
        if (!node.waitForInitialCreate(seconds, TimeUnit.SECONDS)) {
            throw new IllegalStateException(
                    "could not register " + node.getActualPath() + " in ZooKeeper within " + seconds + " s");
        }
        refresher.scheduleWithFixedDelay(this::refresh, 1, 1, TimeUnit.SECONDS);
        return this;
    }

    private void refresh() {
        try {
            node.setData(record.get().toByteArray());
        } catch (Exception e) {
            LOG.debug("node record not refreshed (ZooKeeper unreachable?)", e);
        }
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        try {
            node.close();
        } catch (java.io.IOException e) {
            LOG.debug("closing the node registration", e);
        }
    }
}
