package pm.client.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.curator.test.TestingServer;
import pm.client.ClientSettings;
import pm.client.ClusterClient;
import pm.v1.LeaderInfo;
import pm.v1.NodeStatus;

/**
 * Test support: a real cluster on loopback. ZooKeeper (curator-test's {@link TestingServer}) runs in the test
 * JVM; agents and coordinators run as separate JVMs launched with this test's class path, exactly as an
 * operator would start them. Owned by the test thread; shared between test classes by {@link ClusterExtension}.
 */
public final class TestCluster implements AutoCloseable {
    /** Agents get room for the interpreter; coordinators are small and start faster without C2. */
    private static final List<String> AGENT_JVM = List.of("-Xmx384m", "-XX:+UseSerialGC");

    private static final List<String> COORDINATOR_JVM =
            List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private final Path dir;
    private final TestingServer zookeeper;
    private final Map<String, DaemonJvm> agents = new LinkedHashMap<>();
    private final Map<String, String> coordinators = new LinkedHashMap<>(); // name -> address
    private final Map<String, DaemonJvm> coordinatorJvms = new LinkedHashMap<>(); // address -> JVM
    private final List<ClusterClient> clients = new ArrayList<>();
    /** The client {@link #client()} hands out for each set of coordinator addresses; guarded by {@code clients}. */
    private final java.util.Map<String, ClusterClient> shared = new java.util.HashMap<>();

    private TestCluster(Path dir, TestingServer zookeeper) {
        this.dir = dir;
        this.zookeeper = zookeeper;
    }

    /** Starts ZooKeeper, {@code agentNames} and {@code coordinatorCount} coordinators; returns once every agent is a node. */
    public static TestCluster start(List<String> agentNames, int coordinatorCount) throws Exception {
        Path dir = Files.createTempDirectory("pm-client-cluster");
        TestCluster cluster = new TestCluster(dir, new TestingServer(true));
        try {
            List<DaemonJvm> starting = new ArrayList<>();
            for (String name : agentNames) {
                starting.add(cluster.launchAgent(name));
            }
            for (int i = 0; i < coordinatorCount; i++) {
                starting.add(cluster.launchCoordinator("coordinator-" + (i + 1)));
            }
            for (DaemonJvm jvm : starting) {
                jvm.awaitReady(
                        jvm.name().startsWith("coordinator")
                                ? "coordinator " + jvm.name() + " listening on"
                                : "agent " + jvm.name() + " listening on");
            }
            cluster.awaitNodes(agentNames.size());
            cluster.awaitLeader();
            return cluster;
        } catch (Exception | Error e) {
            cluster.close();
            throw e;
        }
    }

    /**
     * Agents run the interpreter here: these tests size their workloads (a counter of 1 000 ticks, bzip2 of
     * 4 MiB) to be still running while they are moved, and the compiled tier finishes them first on an idle
     * machine. The compiled default is covered by node-agent's and coordinator's tests and the fault suite,
     * whose workloads hold until released.
     */
    private DaemonJvm launchAgent(String name) throws IOException {
        int port = DaemonJvm.freePort();
        DaemonJvm jvm = DaemonJvm.launch(
                name,
                dir,
                AGENT_JVM,
                "pm.agent.AgentMain",
                List.of(
                        "--name",
                        name,
                        "--data",
                        dir.resolve(name).toString(),
                        "--port",
                        Integer.toString(port),
                        "--zookeeper",
                        zookeeper.getConnectString(),
                        "--exit-with-stdin",
                        "--insecure",
                        "--tier",
                        "interp"));
        agents.put(name, jvm);
        return jvm;
    }

    private DaemonJvm launchCoordinator(String name) throws IOException {
        int port = DaemonJvm.freePort();
        DaemonJvm jvm = DaemonJvm.launch(
                name,
                dir,
                COORDINATOR_JVM,
                "pm.coordinator.CoordinatorMain",
                List.of(
                        "--zookeeper",
                        zookeeper.getConnectString(),
                        "--port",
                        Integer.toString(port),
                        "--name",
                        name,
                        "--exit-with-stdin",
                        "--insecure"));
        coordinators.put(name, "127.0.0.1:" + port);
        coordinatorJvms.put("127.0.0.1:" + port, jvm);
        return jvm;
    }

    /** Starts one more agent and waits until the cluster lists it. */
    public void addAgent(String name) throws Exception {
        launchAgent(name).awaitReady("agent " + name + " listening on");
        await().atMost(Duration.ofSeconds(60))
                .until(() -> client().nodes().stream()
                        .anyMatch(n -> n.getRecord().getName().equals(name)));
    }

    /** Kills an agent as kill -9 would. */
    public void killAgent(String name) throws InterruptedException {
        DaemonJvm jvm = agents.remove(name);
        if (jvm != null) {
            jvm.close();
        }
    }

    /**
     * Kills an agent and waits until the cluster no longer lists it (its session expired), so that later
     * tests sharing the cluster never have work placed on a dead member.
     */
    public void removeAgent(String name) throws InterruptedException {
        killAgent(name);
        await().atMost(Duration.ofMinutes(2))
                .until(() -> client().nodes().stream()
                        .noneMatch(n -> n.getRecord().getName().equals(name)));
    }

    /** Kills the coordinator at {@code address} as kill -9 would. */
    public void killCoordinator(String address) throws InterruptedException {
        DaemonJvm jvm = coordinatorJvms.remove(address);
        coordinators.values().remove(address);
        if (jvm != null) {
            jvm.close();
        }
    }

    /** Starts one more coordinator and waits until it serves. */
    public void addCoordinator(String name) throws Exception {
        launchCoordinator(name).awaitReady("coordinator " + name + " listening on");
    }

    /** Every coordinator's address, comma-separated, as pmctl's --coordinator takes them. */
    public String coordinatorAddresses() {
        return String.join(",", coordinators.values());
    }

    public List<String> coordinatorList() {
        return List.copyOf(coordinators.values());
    }

    /** The elected coordinator's address. */
    public String leader() {
        return leaderInfo().getLeaderAddress();
    }

    /** A coordinator that is not the leader (needs two coordinators). */
    public String standby() {
        String leader = leader();
        return coordinators.values().stream()
                .filter(a -> !a.equals(leader))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("a single coordinator has no standby"));
    }

    /**
     * A client to all coordinators there are now, closed with the cluster: a new one once coordinators
     * were killed or added (a client made before two failovers knew only dead ones).
     */
    public ClusterClient client() {
        synchronized (clients) {
            String addresses = coordinatorAddresses();
            return shared.computeIfAbsent(addresses, a -> {
                ClusterClient c = new ClusterClient(ClientSettings.of(a));
                clients.add(c);
                return c;
            });
        }
    }

    /** A client to exactly {@code addresses}, closed with the cluster. */
    public ClusterClient client(String addresses) {
        ClusterClient c = new ClusterClient(ClientSettings.of(addresses));
        synchronized (clients) {
            clients.add(c);
        }
        return c;
    }

    /** The names of the nodes that take new processes (not draining), in name order. */
    public List<String> activeNodes() {
        return client().nodes().stream()
                .filter(n -> !n.getDraining())
                .map(n -> n.getRecord().getName())
                .sorted()
                .toList();
    }

    public Path dir() {
        return dir;
    }

    private void awaitNodes(int count) {
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(250))
                .ignoreExceptions()
                .until(() ->
                        client().nodes().stream().map(NodeStatus::getRecord).count() >= count);
    }

    private void awaitLeader() {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .ignoreExceptions()
                .until(() -> !leaderInfo().getLeaderAddress().isEmpty());
    }

    private LeaderInfo leaderInfo() {
        return client().leader();
    }

    @Override
    public void close() throws Exception {
        synchronized (clients) {
            clients.forEach(ClusterClient::close);
            clients.clear();
        }
        for (DaemonJvm c : coordinatorJvms.values()) {
            c.close();
        }
        for (DaemonJvm a : agents.values()) {
            a.close();
        }
        zookeeper.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
