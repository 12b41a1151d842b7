package pm.deploy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import pm.client.ClientSettings;
import pm.common.net.GrpcTransport;
import pm.common.security.CertificateAuthority;
import pm.common.security.Role;
import pm.common.security.TlsFiles;
import pm.deploy.hosts.Host;

/**
 * The one-machine default: an embedded ZooKeeper, coordinators and node agents on loopback, each in
 * its own JVM so that any of them can be killed, and restarted under the same name (an agent on the
 * same data directory). Secure unless {@link #insecure()} was asked for: a throw-away CA and
 * ZooKeeper secret under {@code DIR/tls}, a node certificate per daemon, an operator certificate
 * for {@link #clientSettings()}. Children die with this JVM (they watch its pipe). Owned by the
 * thread that starts and closes it.
 */
public final class LocalCluster implements AutoCloseable {
    private static final List<String> LOOPBACK_NAMES = List.of("127.0.0.1", "localhost");

    private final Path dir;
    private boolean secure = true;
    private ClusterSecrets secrets;
    private TlsFiles operator;
    private final List<String> agentArgs;
    private final List<String> coordinatorArgs;
    private final List<ChildJvm> zookeepers = new ArrayList<>();
    private int zookeeperServers = 1;
    private final Map<String, ChildJvm> coordinators = new LinkedHashMap<>();
    private final Map<String, ChildJvm> agents = new LinkedHashMap<>();
    private List<String> jvmOptions = List.of();
    private java.util.function.Function<String, Host> placement = name -> Host.LOCAL;

    public LocalCluster(Path dir) {
        this(dir, List.of(), List.of());
    }

    /** {@code agentArgs} and {@code coordinatorArgs} go to every agent and coordinator this cluster starts. */
    public LocalCluster(Path dir, List<String> agentArgs, List<String> coordinatorArgs) {
        this.dir = dir;
        this.agentArgs = List.copyOf(agentArgs);
        this.coordinatorArgs = List.copyOf(coordinatorArgs);
    }

    /**
     * Where each daemon runs, by name ({@code zookeeper}, {@code c1}, {@code a1}, ...): it binds and
     * advertises its host's address and is started through its host's launcher. Default: this machine,
     * 127.0.0.1.
     */
    public LocalCluster withHosts(java.util.function.Function<String, Host> placement) {
        this.placement = placement;
        return this;
    }

    /** ZooKeeper as an ensemble of {@code servers} (each its own JVM) instead of one embedded server. */
    public LocalCluster withEnsemble(int servers) {
        this.zookeeperServers = servers;
        return this;
    }

    /** Plaintext and open ZooKeeper: for measuring what TLS costs, and nothing else. */
    public LocalCluster insecure() {
        this.secure = false;
        return this;
    }

    public boolean isSecure() {
        return secure;
    }

    /** The CA, ZooKeeper secret and certificates of this cluster (null when insecure or not started). */
    public ClusterSecrets secrets() {
        return secrets;
    }

    /** The operator certificate clients of this cluster present (null when insecure or not started). */
    public TlsFiles operatorFiles() {
        return operator;
    }

    /**
     * How tools that talk to agents directly (the fault suite's probe, the soak's audit) connect: with a
     * node certificate of their own, since agents answer only nodes, or plaintext when insecure.
     */
    public GrpcTransport nodeTransport() throws IOException {
        return secure ? GrpcTransport.tls(secrets.issued(Role.NODE, "probe", List.of())) : GrpcTransport.insecure();
    }

    /** How the SDK reaches this cluster's coordinators: with the operator certificate unless insecure. */
    public ClientSettings clientSettings() {
        return clientSettings(coordinatorAddresses());
    }

    /** As {@link #clientSettings()}, for the coordinators at {@code addresses} only. */
    public ClientSettings clientSettings(String addresses) {
        ClientSettings settings = ClientSettings.of(addresses);
        return secure ? settings.withTls(operator.ca(), operator.cert(), operator.key()) : settings;
    }

    /** The flags that give daemon {@code name} its certificate and the ZooKeeper secret, or {@code --insecure}. */
    private List<String> securityFlags(String name) throws IOException {
        if (!secure) {
            return List.of("--insecure");
        }
        List<String> sans = new ArrayList<>(LOOPBACK_NAMES);
        String address = placement.apply(name).address();
        if (!sans.contains(address)) {
            sans.add(address);
        }
        return secrets.flags(secrets.issued(Role.NODE, name, sans));
    }

    /** The flags that bind daemon {@code name} to its host's address, and the launcher that runs it there. */
    private List<String> bindFlags(String name) {
        return List.of("--bind", placement.apply(name).address());
    }

    private void setUpSecurity() throws IOException {
        if (!secure || secrets != null) {
            return;
        }
        Path tls = dir.resolve("tls");
        secrets = Files.exists(tls.resolve(CertificateAuthority.CA_CERT))
                ? ClusterSecrets.open(tls)
                : ClusterSecrets.init(tls);
        operator = secrets.issued(Role.OPERATOR, "operator", List.of());
    }

    /** Options for the coordinator and agent JVMs started from now on (e.g. a fixed {@code -Xmx}). */
    public LocalCluster withJvmOptions(List<String> options) {
        this.jvmOptions = List.copyOf(options);
        return this;
    }

    /** Starts ZooKeeper, {@code coordinatorPorts.size()} coordinators (0: any port) and {@code agentCount} agents. */
    public LocalCluster start(List<Integer> coordinatorPorts, int agentCount) throws IOException, InterruptedException {
        startZooKeeper();
        for (int i = 0; i < coordinatorPorts.size(); i++) {
            startCoordinator("c" + (i + 1), coordinatorPorts.get(i));
        }
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= agentCount; i++) {
            names.add("a" + i);
        }
        startAgents(names);
        return this;
    }

    /** Starts agents {@code names} side by side (each JVM's start-up is mostly waiting), plainly. */
    public List<ChildJvm> startAgents(List<String> names) throws IOException, InterruptedException {
        List<ChildJvm> started = new ArrayList<>();
        for (String name : names) {
            stop(agents.remove(name));
            started.add(agent(name, List.of(), zookeeperAddress()));
        }
        startAll(started);
        started.forEach(a -> agents.put(a.name(), a));
        return started;
    }

    /**
     * Starts only ZooKeeper (one embedded server, or the ensemble's servers side by side: none serves
     * before a quorum has formed); coordinators and agents follow by name.
     */
    public LocalCluster startZooKeeper() throws IOException, InterruptedException {
        setUpSecurity();
        Host host = placement.apply("zookeeper");
        List<String> peers = new ArrayList<>();
        for (int id = 1; zookeeperServers > 1 && id <= zookeeperServers; id++) {
            peers.addAll(List.of("--peer", id + "=" + host.address() + ":" + freePort() + ":" + freePort()));
        }
        for (int id = 1; id <= zookeeperServers; id++) {
            String name = zookeeperServers == 1 ? "zookeeper" : "zookeeper" + id;
            List<String> args = new ArrayList<>(List.of(
                    "--data",
                    dir.resolve(name).toString(),
                    "--port",
                    Integer.toString(freePort()),
                    "--bind",
                    host.address(),
                    "--exit-with-stdin"));
            if (!peers.isEmpty()) {
                args.addAll(List.of("--server-id", Integer.toString(id)));
                args.addAll(peers);
            }
            zookeepers.add(new ChildJvm(
                    name,
                    dir.resolve("logs/" + name + ".log"),
                    host.launcher(),
                    List.of(),
                    "pm.deploy.EmbeddedZooKeeperMain",
                    args));
        }
        startAll(zookeepers);
        return this;
    }

    /** The ZooKeeper servers: one, or the ensemble's. A stopped one starts again with {@link ChildJvm#start}. */
    public List<ChildJvm> zookeeperServers() {
        return List.copyOf(zookeepers);
    }

    public ChildJvm startCoordinator(String name, int port) throws IOException, InterruptedException {
        return startCoordinator(name, port, List.of());
    }

    /** Starts coordinator {@code name} (again, if one of that name ran: the old one is stopped first) with {@code extraArgs}. */
    public ChildJvm startCoordinator(String name, int port, List<String> extraArgs)
            throws IOException, InterruptedException {
        return startCoordinator(name, port, extraArgs, zookeeperAddress());
    }

    /** As {@link #startCoordinator(String, int, List)}, reaching ZooKeeper at {@code zookeeperAddress} (a relay, say). */
    public ChildJvm startCoordinator(String name, int port, List<String> extraArgs, String zookeeperAddress)
            throws IOException, InterruptedException {
        stop(coordinators.remove(name));
        List<String> args = new ArrayList<>(List.of(
                "--zookeeper",
                zookeeperAddress,
                "--port",
                Integer.toString(port),
                "--name",
                name,
                "--exit-with-stdin"));
        args.addAll(securityFlags(name));
        args.addAll(bindFlags(name));
        args.addAll(coordinatorArgs);
        args.addAll(extraArgs);
        ChildJvm c = new ChildJvm(
                name,
                dir.resolve("logs/" + name + ".log"),
                placement.apply(name).launcher(),
                jvmOptions,
                "pm.coordinator.CoordinatorMain",
                args);
        c.start(120);
        coordinators.put(name, c);
        return c;
    }

    public ChildJvm startAgent(String name) throws IOException, InterruptedException {
        return startAgent(name, List.of(), zookeeperAddress());
    }

    /**
     * Starts agent {@code name} on its data directory (again, if one of that name ran: the old one is
     * stopped first, unless it is dead already) with {@code extraArgs}, reaching ZooKeeper at
     * {@code zookeeperAddress} (a proxy, say).
     */
    public ChildJvm startAgent(String name, List<String> extraArgs, String zookeeperAddress)
            throws IOException, InterruptedException {
        stop(agents.remove(name));
        ChildJvm a = agent(name, extraArgs, zookeeperAddress);
        a.start(120);
        agents.put(name, a);
        return a;
    }

    private ChildJvm agent(String name, List<String> extraArgs, String zookeeperAddress) throws IOException {
        List<String> args = new ArrayList<>(List.of(
                "--name",
                name,
                "--data",
                agentDataDir(name).toString(),
                "--zookeeper",
                zookeeperAddress,
                "--capacity-mib",
                "2048",
                "--exit-with-stdin"));
        if (!extraArgs.contains("--port")) {
            args.addAll(List.of("--port", "0"));
        }
        args.addAll(securityFlags(name));
        if (secure) {
            args.addAll(List.of("--image-key", secrets.imageKeys().toString()));
        }
        args.addAll(bindFlags(name));
        args.addAll(agentArgs);
        args.addAll(extraArgs);
        return new ChildJvm(
                name,
                dir.resolve("logs/" + name + ".log"),
                placement.apply(name).launcher(),
                jvmOptions,
                "pm.agent.AgentMain",
                args);
    }

    /** Starts {@code children} side by side, one thread each; fails if any does not start. */
    private static void startAll(List<ChildJvm> children) throws IOException, InterruptedException {
        List<Thread> threads = new ArrayList<>();
        List<IOException> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (ChildJvm c : children) {
            Thread t = new Thread(
                    () -> {
                        try {
                            c.start(120);
                        } catch (IOException e) {
                            failures.add(e);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    },
                    "pm-start-" + c.name());
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            for (ChildJvm c : children) {
                c.kill();
            }
            throw failures.get(0);
        }
    }

    /**
     * Waits until the coordinators list every agent this cluster started (they register after they
     * serve), asking every 100 ms; false if they did not within {@code timeout}.
     */
    public boolean awaitAgentsJoined(pm.client.ClusterClient client, java.time.Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (client.nodes().size() < agents.size()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100); // membership has no watch the SDK offers; polling is the way to ask
        }
        return true;
    }

    /** The connect string: the one server's address, or the ensemble's, comma-separated. */
    public String zookeeperAddress() {
        return zookeepers.stream().map(ChildJvm::address).collect(Collectors.joining(","));
    }

    /** The coordinators' addresses, comma-separated: what the SDK and pmctl take. */
    public String coordinatorAddresses() {
        return coordinators.values().stream().map(ChildJvm::address).collect(Collectors.joining(","));
    }

    public List<ChildJvm> coordinators() {
        return List.copyOf(coordinators.values());
    }

    public List<ChildJvm> agents() {
        return List.copyOf(agents.values());
    }

    public ChildJvm agent(String name) {
        ChildJvm a = agents.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no agent " + name + " in this cluster");
        }
        return a;
    }

    public ChildJvm coordinator(String name) {
        ChildJvm c = coordinators.get(name);
        if (c == null) {
            throw new IllegalArgumentException("no coordinator " + name + " in this cluster");
        }
        return c;
    }

    public Path dir() {
        return dir;
    }

    /** Agent {@code name}'s data directory. */
    public Path agentDataDir(String name) {
        return dir.resolve(name);
    }

    /** A TCP port free on this host now. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void stop(ChildJvm child) throws InterruptedException {
        if (child != null) {
            child.close();
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (ChildJvm a : agents.values()) {
            a.close();
        }
        for (ChildJvm c : coordinators.values()) {
            c.close();
        }
        for (ChildJvm z : zookeepers) {
            z.close();
        }
    }
}
