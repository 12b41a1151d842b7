package pm.deploy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The one-machine default: an embedded ZooKeeper, coordinators and node agents on loopback, each in
 * its own JVM so that any of them can be killed. Children die with this JVM (they watch its pipe).
 * Owned by the thread that starts and closes it.
 */
public final class LocalCluster implements AutoCloseable {
    private final Path dir;
    private ChildJvm zookeeper;
    private final List<ChildJvm> coordinators = new ArrayList<>();
    private final List<ChildJvm> agents = new ArrayList<>();
    private List<String> jvmOptions = List.of();

    public LocalCluster(Path dir) {
        this.dir = dir;
    }

    /** Options for the coordinator and agent JVMs started from now on (e.g. a fixed {@code -Xmx}). */
    public LocalCluster withJvmOptions(List<String> options) {
        this.jvmOptions = List.copyOf(options);
        return this;
    }

    /** Starts ZooKeeper, {@code coordinatorPorts.size()} coordinators (0: any port) and {@code agentCount} agents. */
    public LocalCluster start(List<Integer> coordinatorPorts, int agentCount) throws IOException, InterruptedException {
        zookeeper = new ChildJvm("zookeeper", dir.resolve("logs/zookeeper.log"), "pm.deploy.EmbeddedZooKeeperMain",
                List.of("--data", dir.resolve("zookeeper").toString(), "--port", Integer.toString(freePort()), "--exit-with-stdin"));
        zookeeper.start(60);
        for (int i = 0; i < coordinatorPorts.size(); i++) {
            startCoordinator("c" + (i + 1), coordinatorPorts.get(i));
        }
        for (int i = 1; i <= agentCount; i++) {
            startAgent("a" + i);
        }
        return this;
    }

    public ChildJvm startCoordinator(String name, int port) throws IOException, InterruptedException {
        ChildJvm c = new ChildJvm(name, dir.resolve("logs/" + name + ".log"), jvmOptions, "pm.coordinator.CoordinatorMain",
                List.of("--zookeeper", zookeeper.address(), "--port", Integer.toString(port), "--name", name, "--exit-with-stdin"));
        c.start(60);
        coordinators.add(c);
        return c;
    }

    public ChildJvm startAgent(String name) throws IOException, InterruptedException {
        ChildJvm a = new ChildJvm(name, dir.resolve("logs/" + name + ".log"), jvmOptions, "pm.agent.AgentMain",
                List.of("--name", name, "--data", dir.resolve(name).toString(), "--port", "0",
                        "--zookeeper", zookeeper.address(), "--capacity-mib", "2048", "--exit-with-stdin"));
        a.start(60);
        agents.add(a);
        return a;
    }

    public String zookeeperAddress() {
        return zookeeper.address();
    }

    /** The coordinators' addresses, comma-separated: what the SDK and pmctl take. */
    public String coordinatorAddresses() {
        return coordinators.stream().map(ChildJvm::address).collect(Collectors.joining(","));
    }

    public List<ChildJvm> coordinators() {
        return List.copyOf(coordinators);
    }

    public List<ChildJvm> agents() {
        return List.copyOf(agents);
    }

    public Path dir() {
        return dir;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (ChildJvm a : agents) {
            a.close();
        }
        for (ChildJvm c : coordinators) {
            c.close();
        }
        if (zookeeper != null) {
            zookeeper.close();
        }
    }
}
