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
import pm.common.cluster.ClusterLayout;
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
    private enum State {
        LATENT,
        STARTED,
        CLOSED
    }

    private final ClusterLayout layout;
    private final RecordCodec codec;
    private final CuratorCache cache;
    private final Map<String, Versioned<OwnershipRecord>> records = new ConcurrentHashMap<>();
    /** Records per owner, kept with {@link #records} so Nodes costs the number of nodes, not of processes. */
    private final Map<String, Integer> owned = new ConcurrentHashMap<>();
    /**
     * Records this coordinator deleted whose deletion the watch has not reported yet, by the version
     * deleted at: a watch event about that incarnation still in flight must not bring it back.
     * Guarded by this object's lock; an entry goes when the watch reports the deletion.
     */
    private final Map<String, Integer> deleted = new java.util.HashMap<>();

    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);

    public OwnershipCache(CuratorFramework zk, ClusterLayout layout, RecordCodec codec) {
        this.layout = layout;
        this.codec = codec;
        this.cache = CuratorCache.build(zk, layout.processes());
    }

    /** Starts following the records and waits (bounded) for the first full load. */
    public void start() throws InterruptedException {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("ownership cache already started");
        }
        CountDownLatch loaded = new CountDownLatch(1);
        cache.listenable()
                .addListener(CuratorCacheListener.builder()
                        .forCreates(this::seen)
                        .forChanges((before, after) -> seen(after))
                        .forDeletes(d -> id(d).ifPresent(this::gone))
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
            OwnershipRecord record = codec.decode(d.getData());
            synchronized (this) {
                Integer deletedAt = deleted.get(record.getProcessId());
                if (deletedAt != null && d.getStat().getVersion() <= deletedAt) {
                    return; // news of a record deleted here since
                }
                put(record, d.getStat().getVersion());
            }
        } catch (InvalidProtocolBufferException e) {
            // not an ownership record: nothing to report
        }
    }

    /** The watch reports {@code id} deleted: whatever incarnation this view holds goes. */
    private synchronized void gone(String id) {
        deleted.remove(id);
        Versioned<OwnershipRecord> old = records.remove(id);
        if (old != null) {
            count(old.value().getOwner(), -1);
        }
    }

    /** This coordinator wrote {@code record} at {@code version}: it is news, whatever the watch said. */
    synchronized void wrote(OwnershipRecord record, int version) {
        deleted.remove(record.getProcessId());
        put(record, version);
    }

    /**
     * Someone read {@code record} at {@code version} from ZooKeeper: it refreshes an entry this view
     * holds at an older version, and never adds one. The read may have lost a race with a delete whose
     * watch event came and went before this call; added back, that record would be listed for good.
     */
    synchronized void read(OwnershipRecord record, int version) {
        Versioned<OwnershipRecord> old = records.get(record.getProcessId());
        if (old != null) {
            put(record, version);
        }
    }

    /** Records {@code record} at {@code version} unless a newer version is known already. */
    private void put(OwnershipRecord record, int version) {
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

    /** This coordinator deleted {@code id} at {@code version}: forgotten, unless a newer version is known. */
    synchronized void removed(String id, int version) {
        deleted.merge(id, version, Math::max);
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
