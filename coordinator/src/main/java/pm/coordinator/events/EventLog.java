package pm.coordinator.events;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.common.cluster.ClusterLayout;
import pm.v1.ClusterEvent;

/**
 * The cluster's events kept in ZooKeeper, one persistent sequential node each under
 * {@link ClusterLayout#events()}, so that a client whose stream broke (a leader change) asks the next
 * leader for what followed the last index it saw. An event's index is its node's sequence number (+1):
 * rising in the order ZooKeeper applied the writes, not dense (trimming counts too). Writes are
 * asynchronous and answered on Curator's event thread in the order they were sent; the newest
 * {@code retain} are kept. Thread-safe.
 */
public final class EventLog {
    private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);
    private static final String PREFIX = "e-";
    /** Trim once per this many events written, not on every one. */
    private static final int TRIM_EVERY = 256;

    private final CuratorFramework zk;
    private final String path;
    private final int retain;
    private final java.util.concurrent.atomic.AtomicInteger sinceTrim = new java.util.concurrent.atomic.AtomicInteger();

    public EventLog(CuratorFramework zk, ClusterLayout layout, int retain) {
        this.zk = zk;
        this.path = layout.events();
        this.retain = retain;
    }

    /** Writes {@code event} and hands it, with its index, to {@code then}; unkept (index 0) if ZooKeeper refused it. */
    void append(ClusterEvent event, Consumer<ClusterEvent> then) {
        try {
            zk.create()
                    .creatingParentContainersIfNeeded()
                    .withMode(CreateMode.PERSISTENT_SEQUENTIAL)
                    .inBackground((client, e) -> {
                        if (e.getResultCode() == KeeperException.Code.OK.intValue()) {
                            then.accept(event.toBuilder()
                                    .setIndex(index(e.getName()))
                                    .build());
                            if (sinceTrim.incrementAndGet() >= TRIM_EVERY) {
                                sinceTrim.set(0);
                                trim();
                            }
                        } else {
                            LOG.warn("event not kept (ZooKeeper: " + KeeperException.Code.get(e.getResultCode()) + "): "
                                    + event.getDetail());
                            then.accept(event);
                        }
                    })
                    .forPath(path + "/" + PREFIX, event.toByteArray());
        } catch (Exception e) {
            LOG.warn("event not kept: " + event.getDetail(), e);
            then.accept(event);
        }
    }

    /** The kept events above {@code index}, about {@code processId} only unless it is empty, oldest first. */
    List<ClusterEvent> since(long index, String processId) throws Exception {
        List<String> names;
        try {
            names = zk.getChildren().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
        List<ClusterEvent> out = new ArrayList<>();
        for (String name : names.stream()
                .filter(n -> index(n) > index)
                .sorted(Comparator.comparingLong(EventLog::index))
                .toList()) {
            try {
                ClusterEvent e = ClusterEvent.parseFrom(zk.getData().forPath(path + "/" + name)).toBuilder()
                        .setIndex(index(name))
                        .build();
                if (processId.isEmpty() || processId.equals(e.getProcessId())) {
                    out.add(e);
                }
            } catch (KeeperException.NoNodeException e) {
                // trimmed meanwhile
            } catch (InvalidProtocolBufferException e) {
                LOG.warn("kept event " + name + " is not an event; skipped");
            }
        }
        return out;
    }

    /** Deletes the oldest events beyond the newest {@code retain}; all in the background (this runs on Curator's event thread). */
    private void trim() {
        try {
            zk.getChildren()
                    .inBackground((client, e) -> {
                        List<String> names = e.getChildren();
                        int excess = names == null ? 0 : names.size() - retain;
                        if (excess <= 0) {
                            return;
                        }
                        for (String name : names.stream()
                                .sorted(Comparator.comparingLong(EventLog::index))
                                .limit(excess)
                                .toList()) {
                            client.delete().inBackground().forPath(path + "/" + name);
                        }
                    })
                    .forPath(path);
        } catch (Exception e) {
            LOG.debug("trimming the kept events", e);
        }
    }

    /** The node's sequence number plus one: ZooKeeper counts from 0, and index 0 means "not kept". */
    private static long index(String name) {
        return Long.parseLong(name.substring(name.lastIndexOf('-') + 1)) + 1;
    }
}
