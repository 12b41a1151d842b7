package pm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.common.cluster.ClusterLayout;
import pm.testsupport.TcpProxy;
import pm.v1.NodeAgentGrpc;
import pm.v1.NodeRecord;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessInfo;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;
import pm.v1.SpawnRequest;

/**
 * An agent that is part of a cluster, against a real ZooKeeper: it registers its node record,
 * starts only what the ownership records give it, refuses stale epochs, and when cut off from
 * ZooKeeper (a real TCP partition) freezes everything until it knows what it still owns.
 */
class ClusterAgentTest {
    private static final ClusterLayout LAYOUT = ClusterLayout.DEFAULT;

    @TempDir
    Path dir;

    private TestingServer zkServer;
    private TcpProxy partition;
    private CuratorFramework zk;
    private Agents agents;
    private NodeAgentServer agent;
    private NodeAgentGrpc.NodeAgentBlockingStub stub;

    @BeforeEach
    void start() throws Exception {
        zkServer = new TestingServer(true);
        partition = new TcpProxy("127.0.0.1:" + zkServer.getPort());
        zk = CuratorFrameworkFactory.newClient(zkServer.getConnectString(), new RetryOneTime(100));
        zk.start();
        agents = new Agents(dir);
        agent = agents.start(AgentConfig.defaults("n1", dir.resolve("n1"))
                .withCluster(new AgentConfig.ClusterSettings(
                        partition.address(), LAYOUT.root(), 1L << 30, 100, Map.of("zone", "z1"))));
        stub = agents.stub(agent);
    }

    @AfterEach
    void stop() throws Exception {
        agents.close();
        zk.close();
        partition.close();
        zkServer.close();
    }

    private void own(String id, String node, long epoch) throws Exception {
        byte[] data = OwnershipRecord.newBuilder()
                .setProcessId(id)
                .setOwner(node)
                .setEpoch(epoch)
                .build()
                .toByteArray();
        if (zk.checkExists().forPath(LAYOUT.process(id)) == null) {
            zk.create().creatingParentsIfNeeded().forPath(LAYOUT.process(id), data);
        } else {
            zk.setData().forPath(LAYOUT.process(id), data);
        }
    }

    private static NodeAgentGrpc.NodeAgentBlockingStub at(NodeAgentGrpc.NodeAgentBlockingStub s, long epoch) {
        Metadata m = new Metadata();
        m.put(ClusterLayout.EPOCH_HEADER, Long.toString(epoch));
        return s.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m));
    }

    private ProcessInfo spawn(String id, long epoch) throws Exception {
        ProcessSpec spec = Agents.counter(1_000_000, 2000, 16);
        return at(stub, epoch)
                .spawn(SpawnRequest.newBuilder().setProcessId(id).setSpec(spec).build());
    }

    @Test
    void registersItsNodeRecordWhileItLives() throws Exception {
        NodeRecord r = NodeRecord.parseFrom(zk.getData().forPath(LAYOUT.node("n1")));
        assertThat(r.getAddress()).isEqualTo(agent.address());
        assertThat(r.getCapacityBytes()).isEqualTo(1L << 30);
        assertThat(r.getLabelsMap()).containsEntry("zone", "z1");

        own("p1", "n1", 1);
        spawn("p1", 1);
        await("node record shows the process")
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> NodeRecord.parseFrom(zk.getData().forPath(LAYOUT.node("n1")))
                                .getProcesses()
                        == 1);
        assertThat(NodeRecord.parseFrom(zk.getData().forPath(LAYOUT.node("n1"))).getMemoryBytes())
                .isPositive();

        agent.close();
        assertThat(zk.checkExists().forPath(LAYOUT.node("n1")))
                .as("ephemeral node gone with the agent")
                .isNull();
    }

    @Test
    void startsOnlyWhatTheOwnershipRecordsGiveIt() throws Exception {
        assertThatThrownBy(() -> spawn("p1", 1)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(e.getStatus().getDescription())
                    .isEqualTo("process p1 has no ownership record: only the coordinator starts processes on node n1");
        });
        own("p1", "n2", 1);
        assertThatThrownBy(() -> spawn("p1", 1)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
            assertThat(e.getStatus().getDescription())
                    .isEqualTo("process p1 is owned by node n2 at epoch 1, not by n1 at epoch 1");
        });
        own("p1", "n1", 3);
        assertThatThrownBy(() -> spawn("p1", 2)).isInstanceOf(StatusRuntimeException.class);
        assertThat(stub.list(pm.v1.ListRequest.getDefaultInstance()).getProcessesList())
                .isEmpty();

        ProcessInfo started = spawn("p1", 3);
        assertThat(started.getEpoch()).isEqualTo(3);
        assertThat(started.getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
    }

    @Test
    void refusesCallsWithAnOlderEpoch() throws Exception {
        own("p1", "n1", 5);
        spawn("p1", 5);
        ProcessRef ref = ProcessRef.newBuilder().setProcessId("p1").build();
        assertThatThrownBy(() -> at(stub, 4).freeze(ref)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
            assertThat(e.getStatus().getDescription())
                    .isEqualTo("epoch 4 of process p1 is older than 5, the newest this agent has seen");
        });
        assertThat(stub.get(ref).getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        assertThat(at(stub, 5).freeze(ref).getState()).isEqualTo(ProcessState.PROCESS_STATE_FROZEN);
        assertThatThrownBy(() -> stub.thaw(ref))
                .as("in a cluster, a process call without an epoch acts outside the ownership protocol")
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription()).contains("pm.v1.NodeAgent/Thaw", "pm-epoch");
                });
        assertThat(stub.get(ref).getState()).as("reads need no epoch").isEqualTo(ProcessState.PROCESS_STATE_FROZEN);
        assertThat(at(stub, 5).thaw(ref).getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
    }

    @Test
    void cutOffFromZooKeeperItFreezesAllAndKeepsOnlyWhatItStillOwns() throws Exception {
        own("kept", "n1", 1);
        own("lost", "n1", 1);
        spawn("kept", 1);
        spawn("lost", 1);
        ProcessRef kept = ProcessRef.newBuilder().setProcessId("kept").build();
        ProcessRef lost = ProcessRef.newBuilder().setProcessId("lost").build();
        Agents.awaitProgress(stub, "kept", 100_000);

        partition.cut();
        long still = awaitStandstill(kept);
        // While the agent is cut off, the cluster gives "lost" to another node.
        own("lost", "n2", 2);
        Thread.sleep(500); // a window in which a fenced process would have run, had it not been fenced
        assertThat(stub.get(kept).getInstructionsRetired())
                .as("fenced: no progress while cut off")
                .isEqualTo(still);

        partition.heal();
        Agents.awaitProgress(stub, "kept", 100_000);
        assertThat(stub.get(kept).getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        await("the process owned elsewhere is dropped")
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> stub.list(pm.v1.ListRequest.getDefaultInstance()).getProcessesList().stream()
                        .noneMatch(p -> p.getProcessId().equals("lost")));
        assertThatThrownBy(() -> stub.get(lost))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void aCheckpointOrThawWhileCutOffLeavesTheProcessFenced() throws Exception {
        own("k", "n1", 1);
        spawn("k", 1);
        ProcessRef k = ProcessRef.newBuilder().setProcessId("k").build();
        Agents.awaitProgress(stub, "k", 100_000);

        partition.cut();
        long still = awaitStandstill(k);
        // The leader, which still sees this node's gRPC, asks for a policy checkpoint; a user thaws it.
        at(stub, 1)
                .checkpoint(pm.v1.CheckpointRequest.newBuilder()
                        .setProcessId("k")
                        .setIncremental(true)
                        .build());
        at(stub, 1).thaw(k);
        // Still held frozen by the scheduler (no slice can start, however long one waits), yet RUNNING to its users.
        assertThat(schedulerGauge("pm_scheduler_frozen"))
                .as("still fenced after a checkpoint and a thaw")
                .isEqualTo(1);
        assertThat(schedulerGauge("pm_scheduler_run_queue") + schedulerGauge("pm_scheduler_running"))
                .isZero();
        assertThat(stub.get(k).getInstructionsRetired()).isEqualTo(still);
        assertThat(stub.get(k).getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);

        partition.heal();
        Agents.awaitProgress(stub, "k", 100_000); // its record still names this node: it runs on
    }

    @Test
    void itRunsNothingOnceZooKeeperHasNotAnsweredForItsLeaseLongBeforeCuratorWouldSaySo() throws Exception {
        stop();
        // A ZooKeeper that grants a minute-long session (20 ticks of 5 s): Curator reports a silent connection
        // only after 2/3 of it, 40 s; the lease is a second.
        zkServer = new TestingServer(
                new org.apache.curator.test.InstanceSpec(null, -1, -1, -1, true, -1, 5_000, -1), true);
        partition = new TcpProxy("127.0.0.1:" + zkServer.getPort());
        zk = CuratorFrameworkFactory.newClient(zkServer.getConnectString(), new RetryOneTime(100));
        zk.start();
        agents = new Agents(dir.resolve("slow-ticks"));
        agent = agents.start(
                AgentConfig.defaults("n1", dir.resolve("slow-ticks").resolve("n1"))
                        .withCluster(new AgentConfig.ClusterSettings(
                                        partition.address(), LAYOUT.root(), 1L << 30, 100, Map.of())
                                .withSessionTimeout(60_000)
                                .withLease(1_000)));
        stub = agents.stub(agent);
        own("leased", "n1", 1);
        spawn("leased", 1);
        ProcessRef leased = ProcessRef.newBuilder().setProcessId("leased").build();
        Agents.awaitProgress(stub, "leased", 100_000);

        partition.stall(); // silent, as if this node were paused: nothing tells Curator for 40 s
        awaitStandstill(leased); // within 30 s: only the lease stops it that soon

        partition.heal();
        Agents.awaitProgress(stub, "leased", 100_000); // answered again on the same session: it runs on
    }

    @Test
    void aRestartedAgentKeepsOnlyWhatItStillOwns() throws Exception {
        own("kept", "n1", 1);
        own("moved", "n1", 1);
        spawn("kept", 1);
        spawn("moved", 1);
        agent.close();
        own("moved", "n2", 2); // given to another node while this one was down

        agent = agents.start(AgentConfig.defaults("n1", dir.resolve("n1"))
                .withCluster(
                        new AgentConfig.ClusterSettings(partition.address(), LAYOUT.root(), 1L << 30, 100, Map.of())));
        stub = agents.stub(agent);
        assertThat(stub.list(pm.v1.ListRequest.getDefaultInstance()).getProcessesList())
                .extracting(ProcessInfo::getProcessId)
                .containsExactly("kept");
        Agents.awaitProgress(stub, "kept", 100_000);
    }

    /** A gauge of the agent's scheduler, as its metrics endpoint serves it now. */
    private double schedulerGauge(String name) throws Exception {
        String body = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(
                                        java.net.URI.create("http://127.0.0.1:" + agent.metricsPort() + "/metrics"))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString())
                .body();
        return body.lines()
                .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in the agent's metrics"));
    }

    @Test
    void aSourceToldToAbortAfterTheRecordMovedOnDropsItsCopyInsteadOfRunningIt() throws Exception {
        NodeAgentServer target = agents.start(AgentConfig.defaults("n2", dir.resolve("n2"))
                .withCluster(new AgentConfig.ClusterSettings(
                        zkServer.getConnectString(), LAYOUT.root(), 1L << 30, 100, Map.of())));
        own("p", "n1", 1);
        spawn("p", 1);
        own("marker", "n1", 1);
        spawn("marker", 1);
        Agents.awaitProgress(stub, "p", 100_000);
        zk.setData()
                .forPath(
                        LAYOUT.process("p"),
                        OwnershipRecord.newBuilder()
                                .setProcessId("p")
                                .setOwner("n1")
                                .setEpoch(1)
                                .setMigrationId("m1")
                                .build()
                                .toByteArray());
        at(stub, 1)
                .migrateOut(pm.v1.MigrateRequest.newBuilder()
                        .setProcessId("p")
                        .setTarget(target.address())
                        .setCommit(false)
                        .setEpoch(2)
                        .setMigrationId("m1")
                        .build());
        // Meanwhile the process went to a third node (a new leader's doing); n1's copy, frozen for the
        // migration, was not running when n1 saw that record, so the watch had nothing to drop.
        own("p", "n3", 3);
        own(
                "marker", "n3",
                3); // n1's watch takes record changes in order: once it dropped this copy, it saw p's change
        awaitGone(stub, "marker");

        at(stub, 1)
                .abortMigration(pm.v1.MigrationRef.newBuilder()
                        .setMigrationId("m1")
                        .setProcessId("p")
                        .build());

        awaitGone(stub, "p");
    }

    @Test
    void anEndedCopyWhoseRecordMovesToAnotherNodeIsDropped() throws Exception {
        own("e", "n1", 1);
        at(stub, 1)
                .spawn(SpawnRequest.newBuilder()
                        .setProcessId("e")
                        .setSpec(Agents.counter(3, 10, 16))
                        .build());
        await("it exits")
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> stub.get(ProcessRef.newBuilder().setProcessId("e").build())
                                .getState()
                        == ProcessState.PROCESS_STATE_EXITED);

        own("e", "n2", 2); // its ended copy on n2 was adopted while n1 was away, say

        awaitGone(stub, "e");
    }

    private static void awaitGone(NodeAgentGrpc.NodeAgentBlockingStub agent, String id) throws InterruptedException {
        await(id + " dropped: the records give it to another node")
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> agent.list(pm.v1.ListRequest.getDefaultInstance()).getProcessesList().stream()
                        .noneMatch(p -> p.getProcessId().equals(id)));
    }

    /** Waits until the process stops making progress and returns where it stopped. */
    private long awaitStandstill(ProcessRef ref) throws InterruptedException {
        AtomicLong last = new AtomicLong(-1);
        await("fenced: the process stops making progress")
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    long now = stub.get(ref).getInstructionsRetired();
                    return last.getAndSet(now) == now;
                });
        return last.get();
    }
}
