package pm.coordinator.zk;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import pm.common.cluster.ClusterLayout;
import pm.coordinator.ClusterException;
import pm.v1.MigrationJournal;
import pm.v1.OwnershipRecord;

/**
 * The ownership records ({@code processes/<id>}) and migration journals ({@code migrations/<id>}).
 * Every change of an existing record checks the version it was read at, so two coordinators (or a
 * coordinator and its stale former self) can never both win: that is the fencing that keeps a
 * process from running on two nodes. Stateless apart from the client; safe from any thread.
 */
public final class OwnershipStore {
    private final CuratorFramework zk;
    private final ClusterLayout layout;
    private final RecordCodec codec;
    private final OwnershipCache cache;

    /** {@code cache} hears every write that succeeds here, so reads from it see this coordinator's own writes at once. */
    /** {@code codec}: how records are written (the environment sealed in a secured cluster). */
    public OwnershipStore(CuratorFramework zk, ClusterLayout layout, OwnershipCache cache, RecordCodec codec) {
        this.zk = zk;
        this.codec = codec;
        this.layout = layout;
        this.cache = cache;
    }

    /** Creates the persistent parents (transactions cannot create them). Idempotent. */
    public void ensureLayout() {
        for (String path : List.of(
                layout.nodes(), layout.processes(), layout.migrations(), layout.drainingNodes(), layout.requests())) {
            ZkCalls.run("creating " + path, () -> {
                try {
                    zk.create().creatingParentsIfNeeded().forPath(path);
                } catch (KeeperException.NodeExistsException ignored) {
                    // another coordinator or agent made it first
                }
                return null;
            });
        }
    }

    public Optional<Versioned<OwnershipRecord>> find(String id) {
        return ZkCalls.run("reading process " + id, () -> {
            Stat stat = new Stat();
            try {
                byte[] data = zk.getData().storingStatIn(stat).forPath(layout.process(id));
                OwnershipRecord record = codec.decode(data);
                cache.read(record, stat.getVersion());
                return Optional.of(new Versioned<>(record, stat.getVersion()));
            } catch (KeeperException.NoNodeException e) {
                return Optional.empty();
            }
        });
    }

    public Versioned<OwnershipRecord> get(String id) {
        return find(id).orElseThrow(() -> ClusterException.noProcess(id));
    }

    public List<Versioned<OwnershipRecord>> all() {
        List<String> ids =
                ZkCalls.run("listing processes", () -> zk.getChildren().forPath(layout.processes()));
        List<Versioned<OwnershipRecord>> out = new ArrayList<>(ids.size());
        for (String id : ids) {
            find(id).ifPresent(out::add);
        }
        return out;
    }

    /** Creates a new record; ALREADY_EXISTS if the process exists already. */
    public void create(OwnershipRecord record) {
        ZkCalls.run("creating process " + record.getProcessId(), () -> {
            try {
                zk.create().forPath(layout.process(record.getProcessId()), codec.encode(record));
            } catch (KeeperException.NodeExistsException e) {
                throw new ClusterException(
                        ClusterException.Reason.ALREADY_EXISTS, "process " + record.getProcessId() + " already exists");
            }
            cache.wrote(record, 0);
            return null;
        });
    }

    /** Replaces the record read at {@code version}; ABORTED if it changed meanwhile. Returns the new version. */
    public int update(OwnershipRecord record, int version) {
        int next = ZkCalls.run(
                "updating process " + record.getProcessId(),
                () -> zk.setData()
                        .withVersion(version)
                        .forPath(layout.process(record.getProcessId()), codec.encode(record))
                        .getVersion());
        cache.wrote(record, next);
        return next;
    }

    /** Deletes the record read at {@code version}; one deleted meanwhile (a kill racing this one) counts as deleted. */
    public void delete(String id, int version) {
        ZkCalls.run("deleting process " + id, () -> {
            try {
                zk.delete().withVersion(version).forPath(layout.process(id));
            } catch (KeeperException.NoNodeException alreadyGone) {
                // the same end reached by another caller
            }
            return null;
        });
        cache.removed(id, version);
    }

    /**
     * One transaction: the record (unchanged since {@code version}) names the migration, and its
     * journal starts. Returns the record's new version.
     */
    public int startMigration(OwnershipRecord record, int version, MigrationJournal journal) {
        String path = layout.process(record.getProcessId());
        List<CuratorTransactionResult> results = ZkCalls.run(
                "starting migration of " + record.getProcessId(),
                () -> zk.transaction()
                        .forOperations(
                                zk.transactionOp()
                                        .setData()
                                        .withVersion(version)
                                        .forPath(path, codec.encode(record)),
                                zk.transactionOp()
                                        .create()
                                        .forPath(layout.migration(journal.getMigrationId()), journal.toByteArray())));
        int next = newVersion(results, path, version);
        cache.wrote(record, next);
        return next;
    }

    private static int newVersion(List<CuratorTransactionResult> results, String path, int version) {
        return results.stream()
                .filter(r -> r.getForPath().equals(path) && r.getResultStat() != null)
                .findFirst()
                .map(r -> r.getResultStat().getVersion())
                .orElse(version + 1);
    }

    /**
     * The commit point of a migration, one transaction: the record (unchanged since {@code version})
     * names the new owner and epoch, and the journal says COMMITTED. A failed call may still have
     * committed (the reply was lost and Curator's retry then lost on the version it had just moved): the
     * journal, written in the same transaction, says which; only a journal that is not COMMITTED makes
     * this a failure, and a journal that cannot be read makes the outcome unknown.
     *
     * @throws ClusterException the transaction did not apply
     * @throws CommitOutcomeUnknownException ZooKeeper could not say whether it applied
     */
    public void commitMigration(OwnershipRecord record, int version, MigrationJournal journal) {
        String path = layout.process(record.getProcessId());
        try {
            List<CuratorTransactionResult> results = ZkCalls.run(
                    "committing migration of " + record.getProcessId(),
                    () -> zk.transaction()
                            .forOperations(
                                    zk.transactionOp()
                                            .setData()
                                            .withVersion(version)
                                            .forPath(path, codec.encode(record)),
                                    zk.transactionOp()
                                            .setData()
                                            .forPath(
                                                    layout.migration(journal.getMigrationId()),
                                                    journal.toByteArray())));
            cache.wrote(record, newVersion(results, path, version));
        } catch (ClusterException failed) {
            MigrationJournal.Phase phase;
            try {
                phase = journalPhase(journal.getMigrationId());
            } catch (ClusterException unreadable) {
                failed.addSuppressed(unreadable);
                throw new CommitOutcomeUnknownException(
                        "committing migration " + journal.getMigrationId() + " of " + record.getProcessId()
                                + " failed and ZooKeeper cannot say whether it applied",
                        failed);
            }
            if (phase != MigrationJournal.Phase.PHASE_COMMITTED) {
                throw failed;
            }
            find(record.getProcessId()); // it did apply: the cache learns the record's new version
        }
    }

    /** The phase a journal records now, read after a sync (so not older than any write this client saw fail). */
    private MigrationJournal.Phase journalPhase(String migrationId) {
        return ZkCalls.run("reading journal " + migrationId, () -> {
            String path = layout.migration(migrationId);
            zk.sync().forPath(path);
            try {
                return MigrationJournal.parseFrom(zk.getData().forPath(path)).getPhase();
            } catch (KeeperException.NoNodeException e) {
                return MigrationJournal.Phase.PHASE_UNSPECIFIED;
            }
        });
    }

    public void writeJournal(MigrationJournal journal) {
        ZkCalls.run(
                "writing journal " + journal.getMigrationId(),
                () -> zk.setData().forPath(layout.migration(journal.getMigrationId()), journal.toByteArray()));
    }

    public void deleteJournal(String migrationId) {
        ZkCalls.run("deleting journal " + migrationId, () -> {
            try {
                zk.delete().forPath(layout.migration(migrationId));
            } catch (KeeperException.NoNodeException ignored) {
                // already finished by someone else
            }
            return null;
        });
    }

    /** Migration {@code id}'s journal, if it is still there. */
    public Optional<MigrationJournal> journal(String id) {
        return ZkCalls.run("reading journal " + id, () -> {
            try {
                return Optional.of(MigrationJournal.parseFrom(zk.getData().forPath(layout.migration(id))));
            } catch (KeeperException.NoNodeException e) {
                return Optional.empty();
            }
        });
    }

    public List<MigrationJournal> journals() {
        List<String> ids =
                ZkCalls.run("listing migrations", () -> zk.getChildren().forPath(layout.migrations()));
        List<MigrationJournal> out = new ArrayList<>();
        for (String id : ids) {
            ZkCalls.run("reading journal " + id, () -> {
                try {
                    out.add(MigrationJournal.parseFrom(zk.getData().forPath(layout.migration(id))));
                } catch (KeeperException.NoNodeException | InvalidProtocolBufferException ignored) {
                    // finished meanwhile; or not ours to read: left for an operator
                }
                return null;
            });
        }
        return out;
    }
}
