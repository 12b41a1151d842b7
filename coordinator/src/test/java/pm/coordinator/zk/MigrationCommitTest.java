package pm.coordinator.zk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import pm.common.cluster.ClusterLayout;
import pm.coordinator.ClusterException;
import pm.v1.MigrationJournal;
import pm.v1.OwnershipRecord;

/**
 * The commit point of a migration against a real ZooKeeper, when its reply is lost: the transaction
 * applied but the call failed (Curator's retry then loses on the version the first attempt moved).
 * The journal written in the same transaction decides; a commit never turns into a roll back.
 */
class MigrationCommitTest {
    private static final ClusterLayout LAYOUT = new ClusterLayout("/pm");

    private TestingServer server;
    private CuratorFramework zk;
    private CuratorFramework other;
    private OwnershipCache cache;
    private OwnershipStore store;

    @BeforeEach
    void start() throws Exception {
        server = new TestingServer(true);
        zk = CuratorFrameworkFactory.builder()
                .connectString(server.getConnectString())
                .connectionTimeoutMs(2_000)
                .sessionTimeoutMs(10_000)
                .retryPolicy(new RetryOneTime(100))
                .build();
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

    private record Started(OwnershipRecord committed, int version, MigrationJournal journal) {}

    /** A process on a at epoch 1 whose migration to b has started; what its commit writes. */
    private Started started() {
        OwnershipRecord r = OwnershipRecord.newBuilder()
                .setProcessId("p")
                .setOwner("a")
                .setEpoch(1)
                .build();
        store.create(r);
        MigrationJournal journal = MigrationJournal.newBuilder()
                .setMigrationId("m1")
                .setProcessId("p")
                .setSource("a")
                .setTarget("b")
                .setFromEpoch(1)
                .setToEpoch(2)
                .setPhase(MigrationJournal.Phase.PHASE_STARTED)
                .build();
        int version = store.startMigration(
                r.toBuilder().setMigrationId("m1").build(), store.get("p").version(), journal);
        return new Started(
                r.toBuilder().setOwner("b").setEpoch(2).build(),
                version,
                journal.toBuilder()
                        .setPhase(MigrationJournal.Phase.PHASE_COMMITTED)
                        .build());
    }

    @Test
    void aCommitWhoseReplyWasLostIsACommit() throws Exception {
        Started m = started();
        // The first attempt, applied by ZooKeeper; its reply never came back.
        other.transaction()
                .forOperations(
                        other.transactionOp()
                                .setData()
                                .withVersion(m.version())
                                .forPath(LAYOUT.process("p"), m.committed().toByteArray()),
                        other.transactionOp()
                                .setData()
                                .forPath(LAYOUT.migration("m1"), m.journal().toByteArray()));

        store.commitMigration(
                m.committed(), m.version(), m.journal()); // the retry: loses on the version, yet committed

        assertThat(store.get("p").value().getOwner()).isEqualTo("b");
        assertThat(store.get("p").value().getEpoch()).isEqualTo(2);
    }

    @Test
    void aCommitThatLostARaceIsAFailure() throws Exception {
        Started m = started();
        other.setData()
                .forPath(LAYOUT.process("p"), store.get("p").value().toByteArray()); // someone else wrote the record

        assertThatThrownBy(() -> store.commitMigration(m.committed(), m.version(), m.journal()))
                .isInstanceOfSatisfying(ClusterException.class, e -> {
                    assertThat(e).isNotInstanceOf(CommitOutcomeUnknownException.class);
                    assertThat(e.reason()).isEqualTo(ClusterException.Reason.CONFLICT);
                });
        assertThat(store.get("p").value().getOwner()).isEqualTo("a");
    }

    @Test
    void aCommitZooKeeperCannotAnswerForHasNoKnownOutcome() throws Exception {
        Started m = started();
        server.stop();

        assertThatThrownBy(() -> store.commitMigration(m.committed(), m.version(), m.journal()))
                .isInstanceOf(CommitOutcomeUnknownException.class)
                .hasMessageContaining("cannot say whether it applied");
    }
}
