package pm.coordinator;

import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import pm.agent.AgentConfig;
import pm.agent.NodeAgentServer;
import pm.common.cluster.ClusterLayout;
import pm.coordinator.migration.MigrationObserver;
import pm.v1.ClusterGrpc;
import pm.v1.NodeAgentGrpc;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessRef;

/**
 * Test support: a whole cluster on loopback: a ZooKeeper {@link TestingServer}, named in-process node
 * agents with their own data directories, and coordinators (in-process servers), plus stubs and a
 * view of what ZooKeeper holds. Reusable by any module that has this test-jar: start what a test
 * needs, close it all with {@link #close}.
 */
public final class ClusterFixture implements AutoCloseable {
    public static final long NODE_CAPACITY_BYTES = 1L << 30;

    private final Path dir;
    private final TestingServer zookeeper;
    private final CuratorFramework zk;
    private final Map<String, NodeAgentServer> agents = new LinkedHashMap<>();
    private final List<CoordinatorServer> coordinators = new ArrayList<>();
    private final Map<String, ManagedChannel> channels = new HashMap<>();
    /** What the daemons started from now on record their traces with. */
    private io.opentelemetry.api.OpenTelemetry telemetry = io.opentelemetry.api.OpenTelemetry.noop();

    public ClusterFixture(Path dir) throws Exception {
        this.dir = dir;
        this.zookeeper = new TestingServer(true);
        this.zk = CuratorFrameworkFactory.newClient(zookeeper.getConnectString(), new RetryOneTime(100));
        zk.start();
        zk.blockUntilConnected(30, TimeUnit.SECONDS);
    }

    public String zookeeperAddress() {
        return zookeeper.getConnectString();
    }

    public ClusterLayout layout() {
        return ClusterLayout.DEFAULT;
    }

    /** The daemons started after this call record their traces with {@code value} (the caller closes it). */
    public ClusterFixture withTelemetry(io.opentelemetry.api.OpenTelemetry value) {
        this.telemetry = value;
        return this;
    }

    /** Starts agents with these names; each registers itself as a live node. */
    public ClusterFixture agents(String... names) throws Exception {
        for (String name : names) {
            startAgent(name, Map.of());
        }
        return this;
    }

    /** Starts an agent that joins the cluster with these node labels. */
    public NodeAgentServer startAgent(String name, Map<String, String> labels) throws Exception {
        return startAgent(name, labels, 100);
    }

    /** Starts an agent that offers {@code capacityProcesses} process slots (and {@link #NODE_CAPACITY_BYTES}). */
    public NodeAgentServer startAgent(String name, Map<String, String> labels, int capacityProcesses) throws Exception {
        NodeAgentServer agent = new NodeAgentServer(AgentConfig.defaults(name, dir.resolve(name))
                        .withPort(0)
                        .withCluster(new AgentConfig.ClusterSettings(
                                zookeeper.getConnectString(),
                                layout().root(),
                                NODE_CAPACITY_BYTES,
                                capacityProcesses,
                                labels))
                        .withTelemetry(telemetry))
                .start();
        agents.put(name, agent);
        return agent;
    }

    /** Starts a coordinator; the first one started leads (await {@link #leader}). */
    public CoordinatorServer coordinator(String name) throws Exception {
        return coordinator(name, MigrationObserver.NONE);
    }

    public CoordinatorServer coordinator(String name, MigrationObserver observer) throws Exception {
        return coordinator(name, observer, java.util.function.UnaryOperator.identity());
    }

    /** A coordinator that recovers the processes of a node away for {@code recoveryGrace}. */
    public CoordinatorServer coordinator(String name, Duration recoveryGrace) throws Exception {
        return coordinator(name, MigrationObserver.NONE, c -> c.withRecoveryGrace(recoveryGrace));
    }

    /** A coordinator whose configuration {@code configure} adjusts (rebalancing settings, say). */
    public CoordinatorServer coordinator(
            String name, MigrationObserver observer, java.util.function.UnaryOperator<CoordinatorConfig> configure)
            throws Exception {
        CoordinatorServer c = new CoordinatorServer(
                        configure.apply(CoordinatorConfig.defaults(name, zookeeper.getConnectString())
                                .withTelemetry(telemetry)),
                        observer)
                .start();
        coordinators.add(c);
        return c;
    }

    /** The coordinator that leads, once one does. */
    public CoordinatorServer leader() {
        return await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> coordinators.stream()
                                .filter(CoordinatorServer::isLeader)
                                .findFirst(),
                        Optional::isPresent)
                .get();
    }

    /** The Cluster API of the leader, with a generous deadline. */
    public ClusterGrpc.ClusterBlockingStub cluster() {
        return cluster(leader());
    }

    public ClusterGrpc.ClusterBlockingStub cluster(CoordinatorServer c) {
        return ClusterGrpc.newBlockingStub(channel(c.address())).withDeadlineAfter(10, TimeUnit.MINUTES);
    }

    public ClusterGrpc.ClusterStub asyncCluster(CoordinatorServer c) {
        return ClusterGrpc.newStub(channel(c.address()));
    }

    /** Stops agent {@code name} as if its node were lost: its ZooKeeper session ends, its processes stop with it. */
    public void loseAgent(String name) {
        agents.remove(name).close();
    }

    public NodeAgentServer agent(String name) {
        return agents.get(name);
    }

    public List<String> agentNames() {
        return List.copyOf(agents.keySet());
    }

    public NodeAgentGrpc.NodeAgentBlockingStub agentStub(String name) {
        return NodeAgentGrpc.newBlockingStub(channel(agents.get(name).address()))
                .withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    public NodeAgentGrpc.NodeAgentStub asyncAgentStub(String name) {
        return NodeAgentGrpc.newStub(channel(agents.get(name).address()));
    }

    /** The agents whose own List shows {@code processId} running (or frozen, or prepared): exactly one, if fencing holds. */
    public List<String> agentsHolding(String processId) {
        List<String> out = new ArrayList<>();
        for (String name : agents.keySet()) {
            try {
                var info = agentStub(name)
                        .get(ProcessRef.newBuilder().setProcessId(processId).build());
                switch (info.getState()) {
                    case PROCESS_STATE_RUNNING,
                            PROCESS_STATE_FROZEN,
                            PROCESS_STATE_MIGRATING,
                            PROCESS_STATE_PREPARED,
                            PROCESS_STATE_EXITED -> out.add(name);
                    default -> {}
                }
            } catch (io.grpc.StatusRuntimeException e) {
                // not there
            }
        }
        return out;
    }

    public Optional<OwnershipRecord> record(String processId) throws Exception {
        try {
            return Optional.of(OwnershipRecord.parseFrom(zk.getData().forPath(layout().process(processId))));
        } catch (KeeperException.NoNodeException e) {
            return Optional.empty();
        }
    }

    /** Overwrites a process's ownership record behind every coordinator's back (a decision made while an agent was away). */
    public void overwriteRecord(OwnershipRecord r) throws Exception {
        zk.setData().forPath(layout().process(r.getProcessId()), r.toByteArray());
    }

    public List<String> journals() throws Exception {
        return zk.checkExists().forPath(layout().migrations()) == null
                ? List.of()
                : zk.getChildren().forPath(layout().migrations());
    }

    /** Every znode under processes/, migrations/ and draining/ with its version and data: equal snapshots, nothing changed. */
    public Map<String, String> snapshot() throws Exception {
        Map<String, String> out = new java.util.TreeMap<>();
        for (String parent : List.of(layout().processes(), layout().migrations(), layout().drainingNodes())) {
            if (zk.checkExists().forPath(parent) == null) {
                continue;
            }
            for (String child : zk.getChildren().forPath(parent)) {
                var stat = new org.apache.zookeeper.data.Stat();
                byte[] data = zk.getData().storingStatIn(stat).forPath(parent + "/" + child);
                out.put(
                        parent + "/" + child,
                        stat.getVersion() + ":" + HexFormat.of().formatHex(data));
            }
        }
        return out;
    }

    private ManagedChannel channel(String address) {
        return channels.computeIfAbsent(
                address,
                a -> NettyChannelBuilder.forTarget(a)
                        .usePlaintext()
                        .maxInboundMessageSize(64 << 20)
                        .build());
    }

    @Override
    public void close() throws IOException {
        channels.values().forEach(ManagedChannel::shutdownNow);
        coordinators.forEach(CoordinatorServer::close);
        agents.values().forEach(NodeAgentServer::close);
        zk.close();
        zookeeper.close();
    }
}
