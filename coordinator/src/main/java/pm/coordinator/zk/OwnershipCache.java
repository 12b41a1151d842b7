package pm.coordinator.zk;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import pm.agent.cluster.ClusterLayout;
import pm.v1.OwnershipRecord;

/**
 * A read view of the ownership records ({@code processes/<id>}) fed by ZooKeeper's watches, plus
 * this coordinator's own successful writes (so a caller reads what it just wrote without waiting
 * for the watch). It answers the reads that only report (Nodes counts, List, the record part of
 * Get); nothing that decides a write trusts it, because its version may be stale: writers read
 * ZooKeeper and write with a version check. An entry is replaced only by a newer version, so a
 * late watch event never undoes a write seen first here. Mutated by the cache's thread and by
 * writers' threads under this object's lock; read from any thread.
 */
public final class OwnershipCache implements AutoCloseable {
    private enum State { LATENT, STARTED, CLOSED }

    private final ClusterLayout layout;
    private final CuratorCache cache;
    private final Map<String, Versioned<OwnershipRecord>> records = new ConcurrentHashMap<>();
    /** Records per owner, kept with {@link #records} so Nodes costs the number of nodes, not of processes. */
    private final Map<String, Integer> owned = new ConcurrentHashMap<>();
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);

    public OwnershipCache(CuratorFramework zk, ClusterLayout layout) {
        this.layout = layout;
        this.cache = CuratorCache.build(zk, layout.processes());
    }

    /** Starts following the records and waits (bounded) for the first full load. */
    public void start() throws InterruptedException {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("ownership cache already started");
        }
        CountDownLatch loaded = new CountDownLatch(1);
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forCreates(this::seen)
                .forChanges((before, after) -> seen(after))
                .forDeletes(d -> id(d).ifPresent(id -> removed(id, Integer.MAX_VALUE)))
                .forInitialized(loaded::countDown)
                .build());
        cache.start();
        loaded.await(10, TimeUnit.SECONDS);
    }

    private Optional<String> id(ChildData d) {
        String parent = layout.processes();
        String path = d.getPath();
        return path.length() > parent.length() + 1 && path.startsWith(parent + "/")
                ? Optional.of(path.substring(parent.length() + 1))
                : Optional.empty();
    }

    private void seen(ChildData d) {
        if (id(d).isEmpty() || d.getData() == null || d.getStat() == null) {
            return;
        }
        try {
            put(OwnershipRecord.parseFrom(d.getData()), d.getStat().getVersion());
        } catch (InvalidProtocolBufferException e) {
            // not an ownership record: nothing to report
        }
    }

    /** Records {@code record} at {@code version} unless a newer version is known already. */
    synchronized void put(OwnershipRecord record, int version) {
        Versioned<OwnershipRecord> old = records.get(record.getProcessId());
        if (old != null && old.version() >= version) {
            return;
        }
        records.put(record.getProcessId(), new Versioned<>(record, version));
        if (old != null) {
            count(old.value().getOwner(), -1);
        }
        count(record.getOwner(), +1);
    }

    /** Forgets {@code id} if what is known of it is not newer than {@code version}. */
    synchronized void removed(String id, int version) {
        Versioned<OwnershipRecord> old = records.get(id);
        if (old != null && old.version() <= version) {
            records.remove(id);
            count(old.value().getOwner(), -1);
        }
    }

    private void count(String owner, int delta) {
        owned.merge(owner, delta, (a, b) -> a + b == 0 ? null : a + b);
    }

    public Optional<Versioned<OwnershipRecord>> find(String id) {
        return Optional.ofNullable(records.get(id));
    }

    public Collection<Versioned<OwnershipRecord>> all() {
        return records.values();
    }

    public int size() {
        return records.size();
    }

    /** How many records name {@code node} as owner. */
    public int ownedBy(String node) {
        return owned.getOrDefault(node, 0);
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.STARTED) {
            cache.close();
        }
    }
}
