package pm.agent.channel;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import pm.common.cluster.ClusterLayout;
import pm.v1.NodeRecord;
import pm.v1.OwnershipRecord;

/**
 * Where the cluster says a process runs: its ownership record ({@code processes/<id>}) names the
 * owner node, whose membership record ({@code nodes/<name>}) has the address. Two reads per
 * lookup; the dispatcher caches the answer until a delivery there fails. Thread-safe (Curator is).
 */
public final class ZooKeeperLocator implements ProcessLocator {
    private final CuratorFramework zk;
    private final ClusterLayout layout;

    public ZooKeeperLocator(CuratorFramework zk, ClusterLayout layout) {
        this.zk = zk;
        this.layout = layout;
    }

    @Override
    public Optional<String> addressOf(String processId) {
        try {
            OwnershipRecord owner = OwnershipRecord.parseFrom(zk.getData().forPath(layout.process(processId)));
            if (owner.getOwner().isEmpty()) {
                return Optional.empty();
            }
            NodeRecord node = NodeRecord.parseFrom(zk.getData().forPath(layout.node(owner.getOwner())));
            return node.getAddress().isEmpty() ? Optional.empty() : Optional.of(node.getAddress());
        } catch (KeeperException.NoNodeException unknownOrGone) {
            return Optional.empty();
        } catch (InvalidProtocolBufferException e) {
            return Optional.empty(); // a record we cannot read names nothing we could use
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (Exception zooKeeperDown) {
            return Optional.empty(); // the dispatcher backs off and asks again
        }
    }
}
