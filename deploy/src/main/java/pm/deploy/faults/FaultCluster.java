package pm.deploy.faults;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import pm.client.ClusterClient;
import pm.deploy.ChildJvm;
import pm.deploy.LocalCluster;

/**
 * The cluster the scenarios break: a {@link LocalCluster} (embedded ZooKeeper, coordinators c1 and
 * c2, agents a1..a3, each its own JVM) with short ZooKeeper sessions for the agents and a recovery
 * grace for the coordinators, an SDK client that is made anew whenever the coordinators' addresses
 * change, and a probe that asks the agents directly. Owned by the suite's thread.
 */
final class FaultCluster implements AutoCloseable {
    static final int AGENT_SESSION_MILLIS = 4_000;
    static final int RECOVERY_GRACE_MILLIS = 12_000;
    static final List<String> AGENTS = List.of("a1", "a2", "a3");
    static final Duration JOIN = Duration.ofSeconds(60);

    private final LocalCluster cluster;
    private final AgentProbe probe;
    private final List<String> coordinatorArgs;
    private final String recoveryProblem;
    private final java.util.Map<String, List<String>> unusual =
            new java.util.HashMap<>(); // armed, or behind a relay: their args
    private ClusterClient client;
    /** One client per coordinator address, to ask each whether it leads. */
    private final java.util.Map<String, ClusterClient> direct = new java.util.concurrent.ConcurrentHashMap<>();

    private String clientAddresses = "";
    private java.io.PrintStream trace;
    private long stepFrom = System.nanoTime();

    private FaultCluster(LocalCluster cluster, List<String> coordinatorArgs, String recoveryProblem) {
        this.cluster = cluster;
        this.probe = new AgentProbe(cluster);
        this.coordinatorArgs = coordinatorArgs;
        this.recoveryProblem = recoveryProblem;
    }

    /**
     * Starts it under {@code dir}. The coordinators get {@code --recovery-grace-ms}; one that does not
     * know the flag yet (failure recovery not built) is started without it, and
     * {@link #recoveryProblem} says so.
     */
    static FaultCluster start(Path dir) throws IOException, InterruptedException {
        return start(dir, name -> pm.deploy.hosts.Host.LOCAL);
    }

    /** {@link #start(Path)} with each daemon on the host {@code placement} names (a test bed of several hosts). */
    static FaultCluster start(Path dir, java.util.function.Function<String, pm.deploy.hosts.Host> placement)
            throws IOException, InterruptedException {
        return start(newCluster(dir).withHosts(placement));
    }

    /** {@link #start(Path)} on a ZooKeeper ensemble of {@code servers}, each its own JVM. */
    static FaultCluster startOnEnsemble(Path dir, int servers) throws IOException, InterruptedException {
        return start(newCluster(dir).withEnsemble(servers));
    }

    private static LocalCluster newCluster(Path dir) {
        return new LocalCluster(
                dir, List.of("--zk-session-timeout-ms", Integer.toString(AGENT_SESSION_MILLIS)), List.of());
    }

    private static FaultCluster start(LocalCluster cluster) throws IOException, InterruptedException {
        try {
            cluster.startZooKeeper();
            List<String> recovery = List.of("--recovery-grace-ms", Integer.toString(RECOVERY_GRACE_MILLIS));
            List<String> coordinatorArgs = recovery;
            String problem = "";
            try {
                cluster.startCoordinator("c1", 0, coordinatorArgs);
            } catch (IOException e) {
                coordinatorArgs = List.of();
                problem =
                        "the coordinator does not accept --recovery-grace-ms (failure recovery is not on this branch)";
                cluster.startCoordinator("c1", 0, coordinatorArgs);
            }
            cluster.startCoordinator("c2", 0, coordinatorArgs);
            cluster.startAgents(AGENTS);
            FaultCluster c = new FaultCluster(cluster, coordinatorArgs, problem);
            c.awaitNodes(AGENTS.size());
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** With {@code out}, every {@link #step} is printed with the seconds since the one before (the suite's {@code --verbose}). */
    void traceTo(java.io.PrintStream out) {
        this.trace = out;
    }

    /** A scenario's progress, for the verbose trace. */
    void step(String what) {
        long now = System.nanoTime();
        if (trace != null) {
            trace.printf("        . %-60s +%.1f s%n", what, (now - stepFrom) / 1e9);
        }
        stepFrom = now;
    }

    /** The SDK client, on the coordinators as they are now. */
    ClusterClient client() {
        String now = cluster.coordinatorAddresses();
        if (client == null || !now.equals(clientAddresses)) {
            if (client != null) {
                client.close();
            }
            client = new ClusterClient(cluster.clientSettings());
            clientAddresses = now;
        }
        return client;
    }

    AgentProbe probe() {
        return probe;
    }

    LocalCluster local() {
        return cluster;
    }

    ChildJvm agent(String name) {
        return cluster.agent(name);
    }

    /** Empty if the coordinators run with failure recovery, else why not. */
    String recoveryProblem() {
        return recoveryProblem;
    }

    /** Restarts agent {@code name} on its data directory with {@code extraArgs}, reaching ZooKeeper directly. */
    ChildJvm restartAgent(String name, List<String> extraArgs) throws IOException, InterruptedException {
        return restartAgent(name, extraArgs, cluster.zookeeperAddress());
    }

    ChildJvm restartAgent(String name, List<String> extraArgs, String zookeeper)
            throws IOException, InterruptedException {
        ChildJvm a = cluster.startAgent(name, extraArgs, zookeeper);
        if (extraArgs.isEmpty() && zookeeper.equals(cluster.zookeeperAddress())) {
            unusual.remove(name);
        } else {
            unusual.put(name, List.copyOf(extraArgs));
        }
        awaitNodeAt(name, a.address());
        return a;
    }

    /** Restarts plainly every agent other than {@code except} that runs armed or behind a relay. */
    void disarmAgents(String... except) throws IOException, InterruptedException {
        List<String> keep = List.of(except);
        for (String name : List.copyOf(unusual.keySet())) {
            if (!keep.contains(name) && AGENTS.contains(name)) {
                restartAgent(name, List.of());
            }
        }
    }

    /** The extra arguments agent {@code name} runs with now (a fault point, say); empty if plain. */
    List<String> agentArgs(String name) {
        return unusual.getOrDefault(name, List.of());
    }

    /** Waits until the coordinators list {@code count} live agents. */
    void awaitNodes(int count) throws InterruptedException {
        Poll.until(count + " agents to join", JOIN, () -> client().nodes().size() == count);
    }

    /** Waits until the coordinators list node {@code name} at {@code address} (its new incarnation). */
    void awaitNodeAt(String name, String address) throws InterruptedException {
        Poll.until(
                "node " + name + " to join at " + address,
                JOIN,
                () -> client().nodes().stream()
                        .anyMatch(n -> n.getRecord().getName().equals(name)
                                && n.getRecord().getAddress().equals(address)));
    }

    boolean nodeListed(String name) {
        return client().nodes().stream().anyMatch(n -> n.getRecord().getName().equals(name));
    }

    /** The coordinator that leads now, once one does. */
    ChildJvm awaitLeader() throws InterruptedException {
        return Poll.value("a coordinator to lead", JOIN, this::leaderNow);
    }

    /**
     * Makes a coordinator armed with fault point {@code point} the leader, the other a plain standby:
     * the standby is restarted armed, the leader stopped (so the armed one takes over), then started
     * again plain.
     */
    ChildJvm armLeader(String point) throws IOException, InterruptedException {
        return newLeader(List.of("--fault-point", point), cluster.zookeeperAddress(), cluster.zookeeperAddress());
    }

    /**
     * Makes both coordinators reach ZooKeeper at {@code zookeeper} (a relay), as {@link #armLeader}
     * does; returns the leader.
     */
    ChildJvm leadBehind(String zookeeper) throws IOException, InterruptedException {
        return newLeader(List.of(), zookeeper, zookeeper);
    }

    /**
     * Makes the standby, restarted to reach ZooKeeper at {@code zookeeper} (a relay), the leader; the
     * old leader comes back as a standby on the direct connection. Returns the new leader.
     */
    ChildJvm leadAloneBehind(String zookeeper) throws IOException, InterruptedException {
        return newLeader(List.of(), zookeeper, cluster.zookeeperAddress());
    }

    /** The standby restarted with {@code args} and {@code zookeeper}, made leader; the old leader started again on {@code thenZooKeeper}. */
    private ChildJvm newLeader(List<String> args, String zookeeper, String thenZooKeeper)
            throws IOException, InterruptedException {
        ChildJvm leader = awaitLeader();
        ChildJvm standby = cluster.coordinators().stream()
                .filter(c -> c != leader)
                .findFirst()
                .orElseThrow();
        ChildJvm next = startCoordinator(standby.name(), args, zookeeper);
        leader.close();
        Poll.until(
                "coordinator " + next.name() + " to lead",
                JOIN,
                () -> leaderNow().map(l -> l == next).orElse(false));
        startCoordinator(leader.name(), List.of(), thenZooKeeper);
        return next;
    }

    /** Starts coordinator {@code name} (again) with the suite's arguments and {@code extraArgs}. */
    ChildJvm startCoordinator(String name, List<String> extraArgs) throws IOException, InterruptedException {
        return startCoordinator(name, extraArgs, cluster.zookeeperAddress());
    }

    private ChildJvm startCoordinator(String name, List<String> extraArgs, String zookeeper)
            throws IOException, InterruptedException {
        List<String> args = new java.util.ArrayList<>(coordinatorArgs);
        args.addAll(extraArgs);
        if (extraArgs.isEmpty() && zookeeper.equals(cluster.zookeeperAddress())) {
            unusual.remove(name);
        } else {
            unusual.put(name, List.copyOf(extraArgs));
        }
        return cluster.startCoordinator(name, 0, args, zookeeper);
    }

    /**
     * After a failed scenario: every agent and coordinator that is dead, armed with a fault point or
     * behind a relay is started again plainly, so the next scenario starts from a whole cluster.
     */
    void repair() throws IOException, InterruptedException {
        for (ChildJvm c : cluster.coordinators()) {
            if (!c.isAlive() || unusual.containsKey(c.name())) {
                startCoordinator(c.name(), List.of());
            }
        }
        for (ChildJvm a : cluster.agents()) {
            if (!a.isAlive() || unusual.containsKey(a.name())) {
                restartAgent(a.name(), List.of());
            }
        }
        awaitLeader();
        awaitNodes(AGENTS.size());
    }

    /**
     * The coordinator that says it leads now, if any, asking each in turn (a deposed leader cut off from
     * ZooKeeper knows no leader, so one coordinator's word is not enough).
     */
    Optional<ChildJvm> leaderNow() {
        for (ChildJvm c : cluster.coordinators()) {
            if (!c.isAlive()) {
                continue;
            }
            try {
                ClusterClient one = direct.computeIfAbsent(
                        c.address(),
                        a -> new ClusterClient(
                                cluster.clientSettings(a).withCallTimeout(java.time.Duration.ofSeconds(5))));
                if (one.leader().getIsLeader()) {
                    return Optional.of(c);
                }
            } catch (RuntimeException notAnswering) {
                // restarting, or stopped: not the leader as far as anyone can tell
            }
        }
        return Optional.empty();
    }

    @Override
    public void close() throws InterruptedException {
        if (client != null) {
            client.close();
        }
        direct.values().forEach(ClusterClient::close);
        probe.close();
        cluster.close();
    }
}
