package pm.coordinator.zk;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.zookeeper.KeeperException;
import pm.common.cluster.ClusterLayout;
import pm.coordinator.ClusterException;
import pm.v1.NodeRecord;

/**
 * The live view of the cluster's nodes: a Curator cache of the agents' ephemeral
 * {@code nodes/<name>} records and of the {@code draining/<name>} marks. The maps are written by the
 * caches' thread and read by any thread; a listener hears joins, reports, departures and drains.
 */
public final class Membership implements AutoCloseable {
    private enum State {
        LATENT,
        STARTED,
        CLOSED
    }

    private final CuratorFramework zk;
    private final ClusterLayout layout;
    private final MembershipListener listener;
    private final Map<String, NodeRecord> live = new ConcurrentHashMap<>();
    private final Set<String> drainingNodes = ConcurrentHashMap.newKeySet();
    private final CuratorCache nodes;
    private final CuratorCache draining;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);

    public Membership(CuratorFramework zk, ClusterLayout layout, MembershipListener listener) {
        this.zk = zk;
        this.layout = layout;
        this.listener = listener;
        this.nodes = CuratorCache.build(zk, layout.nodes());
        this.draining = CuratorCache.build(zk, layout.drainingNodes());
    }

    /** Starts both caches and waits (bounded) for their first full load. */
    public void start() throws InterruptedException {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("membership already started");
        }
        CountDownLatch loaded = new CountDownLatch(2);
        nodes.listenable()
                .addListener(CuratorCacheListener.builder()
                        .forCreates(d -> child(d, layout.nodes()).ifPresent(n -> nodeSeen(d, true)))
                        .forChanges((before, after) -> nodeSeen(after, false))
                        .forDeletes(d -> child(d, layout.nodes()).ifPresent(this::nodeGone))
                        .forInitialized(loaded::countDown)
                        .build());
        draining.listenable()
                .addListener(CuratorCacheListener.builder()
                        .forCreates(d -> child(d, layout.drainingNodes()).ifPresent(n -> {
                            if (drainingNodes.add(n)) {
                                listener.draining(n);
                            }
                        }))
                        .forDeletes(d -> child(d, layout.drainingNodes()).ifPresent(drainingNodes::remove))
                        .forInitialized(loaded::countDown)
                        .build());
        nodes.start();
        draining.start();
        loaded.await(10, TimeUnit.SECONDS);
    }

    private static Optional<String> child(ChildData d, String parent) {
        String path = d.getPath();
        return path.length() > parent.length() + 1 && path.startsWith(parent + "/")
                ? Optional.of(path.substring(parent.length() + 1))
                : Optional.empty();
    }

    private void nodeSeen(ChildData d, boolean created) {
        Optional<String> name = child(d, layout.nodes());
        if (name.isEmpty()) {
            return;
        }
        NodeRecord record;
        try {
            record = NodeRecord.parseFrom(d.getData());
        } catch (InvalidProtocolBufferException e) {
            return; // not a node record (yet): ignored until it is one
        }
        boolean isNew = live.put(name.get(), record) == null;
        if (isNew || created) {
            listener.joined(record);
        } else {
            listener.reported(record);
        }
    }

    private void nodeGone(String name) {
        if (live.remove(name) != null) {
            listener.left(name);
        }
    }

    public Collection<NodeRecord> live() {
        return live.values();
    }

    public Optional<NodeRecord> node(String name) {
        return Optional.ofNullable(live.get(name));
    }

    /** The live node {@code name}; NOT_FOUND if there is no such node now. */
    public NodeRecord require(String name) {
        return node(name).orElseThrow(() -> ClusterException.noNode(name));
    }

    public boolean isDraining(String name) {
        return drainingNodes.contains(name);
    }

    public Set<String> draining() {
        return Set.copyOf(drainingNodes);
    }

    /** Marks {@code name} draining in ZooKeeper (persistent) and in this view at once. */
    public void markDraining(String name) {
        ZkCalls.run("marking " + name + " draining", () -> {
            try {
                zk.create().creatingParentsIfNeeded().forPath(layout.draining(name));
            } catch (KeeperException.NodeExistsException ignored) {
                // draining already
            }
            return null;
        });
        if (drainingNodes.add(name)) {
            listener.draining(name);
        }
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.STARTED) {
            nodes.close();
            draining.close();
        }
    }
}
