package pm.coordinator;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.coordinator.agent.AgentClients;
import pm.coordinator.console.ConsoleLogins;
import pm.coordinator.console.ConsoleSessions;
import pm.coordinator.console.WebConsole;
import pm.coordinator.events.EventHub;
import pm.coordinator.events.EventLog;
import pm.coordinator.migration.Drainer;
import pm.coordinator.migration.MigrationFinisher;
import pm.coordinator.migration.MigrationObserver;
import pm.coordinator.migration.MigrationOrchestrator;
import pm.coordinator.migration.MigrationRecovery;
import pm.coordinator.placement.Placer;
import pm.coordinator.placement.Reservations;
import pm.coordinator.process.BlobRelay;
import pm.coordinator.process.CheckpointScheduler;
import pm.coordinator.process.DurableCheckpoints;
import pm.coordinator.process.EndedProcessSweeper;
import pm.coordinator.process.FileCopy;
import pm.coordinator.process.ImageTransfer;
import pm.coordinator.process.LogFollower;
import pm.coordinator.process.ModuleCache;
import pm.coordinator.process.Owners;
import pm.coordinator.process.ProcessLifecycle;
import pm.coordinator.process.ProcessQueries;
import pm.coordinator.rebalance.LoadSampler;
import pm.coordinator.rebalance.Rebalancer;
import pm.coordinator.rebalance.RecentMoves;
import pm.coordinator.recovery.NodeRecovery;
import pm.coordinator.recovery.UnhostedProcesses;
import pm.coordinator.zk.Leadership;
import pm.coordinator.zk.Membership;
import pm.coordinator.zk.MembershipListener;
import pm.coordinator.zk.OwnershipCache;
import pm.coordinator.zk.OwnershipStore;
import pm.coordinator.zk.RecordCodec;
import pm.coordinator.zk.RequestLedger;
import pm.v1.ClusterEvent;
import pm.v1.LeaderInfo;
import pm.v1.NodeRecord;

/**
 * A running coordinator: its Curator client, the membership view, the Cluster gRPC service (with
 * health and reflection) where its settings bind it, metrics over HTTP, the web console if configured, and a leader latch whose participant id is
 * the service's address. While it leads, the leader thread settles journalled migrations at election
 * and then every few seconds, and the {@link Rebalancer} runs its rounds on its own threads. Lifecycle LATENT → STARTED → CLOSED in {@code state}; close is idempotent.
 */
public final class CoordinatorServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorServer.class);
    private static final long SETTLE_EVERY_MILLIS = 2_000;
    private static final long POLICY_EVERY_MILLIS = 250;
    /** Cluster events kept in ZooKeeper for clients resuming their stream (about 3 MB at most). */
    private static final int KEPT_EVENTS = 10_000;
    /** How often the leader asks every agent what it holds, to find records nobody hosts (see UnhostedProcesses). */
    private static final Duration UNHOSTED_SCAN_EVERY = Duration.ofSeconds(5);
    /** How long a call's outcome is kept for its resends: far longer than the SDK retries one call. */
    private static final Duration KEEP_REQUESTS = Duration.ofMinutes(15);

    private static final Duration REQUEST_SWEEP_EVERY = Duration.ofSeconds(30);

    private enum State {
        LATENT,
        STARTED,
        CLOSED
    }

    private final CoordinatorConfig config;
    private final MigrationObserver observer;
    private final Clock clock = Clock.systemUTC();
    private final CuratorFramework zk;
    private final OwnershipStore store;
    private final OwnershipCache records;
    private final Membership membership;
    private final Reservations reservations = new Reservations();
    private final EventHub events;
    private final AgentClients agents;
    private final CoordinatorMetrics metrics;
    private final HealthStatusManager health = new HealthStatusManager();
    private final ScheduledExecutorService leaderThread;
    private final java.util.concurrent.ExecutorService leaderWorkers;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private Server server;
    private Leadership leadership;
    private MigrationRecovery recovery;
    private CheckpointScheduler checkpointScheduler;
    private EndedProcessSweeper endedSweeper;
    private pm.coordinator.migration.RetainedCopies retainedCopies;
    private RequestLedger requests;
    /** When this leader last dropped expired request outcomes (on the policy thread). */
    private long requestsSweptMillis;

    private volatile NodeRecovery nodeRecovery; // read by the membership listener on Curator's thread
    private Rebalancer rebalancer;
    private int metricsPort;
    /** The configured transport, carrying trace context over every call this coordinator serves or makes. */
    private final pm.common.net.GrpcTransport transport;

    private final io.opentelemetry.api.trace.Tracer tracer;
    /** The web console, or null when the configuration asks for none. */
    private final WebConsole console;

    public CoordinatorServer(CoordinatorConfig config) {
        this(config, MigrationObserver.NONE);
    }

    /** {@code observer} hears each migration journal phase (tests stop a coordinator there). */
    public CoordinatorServer(CoordinatorConfig config, MigrationObserver observer) {
        this.config = config;
        this.observer = observer;
        this.zk = config.zookeeperAccess()
                .newClient(config.zookeeper(), 10_000, 5_000, new ExponentialBackoffRetry(100, 5));
        RecordCodec codec = new RecordCodec(config.zookeeperAccess().recordSeal());
        this.records = new OwnershipCache(zk, config.layout(), codec);
        this.store = new OwnershipStore(zk, config.layout(), records, codec);
        this.events = new EventHub(clock, 1024, new EventLog(zk, config.layout(), KEPT_EVENTS), this::isLeader);
        this.membership = new Membership(zk, config.layout(), new MembershipEvents());
        this.transport = config.transport().traced(config.telemetry());
        this.tracer = config.telemetry().getTracer("pm.coordinator");
        this.agents = new AgentClients(transport, config.agentDeadline());
        this.metrics = new CoordinatorMetrics(config.name());
        this.console = config.consolePort() < 0
                ? null
                : new WebConsole(
                        new java.net.InetSocketAddress(config.network().bind(), config.consolePort()),
                        port -> config.network().advertisedHost(port).toString(),
                        config.transport().isSecure()
                                ? config.transport().files().serverSslContext()
                                : null,
                        new ConsoleSessions(clock),
                        ClusterAccess.POLICY,
                        config.name());
        metrics.watch(zk);
        this.leaderThread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm-coordinator-leader-" + config.name());
            t.setDaemon(true);
            return t;
        });
        this.leaderWorkers = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "pm-coordinator-policy-" + config.name());
            t.setDaemon(true);
            return t;
        });
    }

    /** Connects to ZooKeeper, loads the membership, serves, then joins the leader election. */
    public CoordinatorServer start() throws IOException, InterruptedException {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("coordinator " + config.name() + " already started");
        }
        zk.start();
        if (!zk.blockUntilConnected(30, TimeUnit.SECONDS)) {
            throw new IOException("cannot reach ZooKeeper at " + config.zookeeper());
        }
        store.ensureLayout();
        membership.start();
        records.start();
        metrics.watch(() -> membership.live().size(), records::size);
        metrics.watchCheckpoints(
                () -> records.all().stream().map(v -> v.value()).toList(), clock);

        Placer placer =
                new Placer(membership, reservations, n -> agents.reachability().answering(n.getAddress()));
        Owners owners = new Owners(membership);
        ModuleCache modules = new ModuleCache(256L << 20);
        MigrationFinisher finisher = new MigrationFinisher(store, membership, agents);
        MigrationOrchestrator migrations = new MigrationOrchestrator(
                store,
                membership,
                placer,
                agents,
                finisher,
                events,
                metrics,
                observer,
                this::isLeader,
                config.name(),
                clock,
                tracer);
        requests = new RequestLedger(zk, config.layout(), clock);
        recovery = new MigrationRecovery(store, migrations, finisher, events, requests);
        ImageTransfer images = new ImageTransfer(store, owners, placer, agents, modules, events, clock);
        DurableCheckpoints checkpoints = new DurableCheckpoints(store, membership, agents, events, metrics, clock);
        checkpointScheduler = new CheckpointScheduler(records, membership, checkpoints, leaderWorkers, 4, 2_000, clock);
        // Twice the grace, and never under 10 s: a spawn, an import or an agent's own restart settles well within it.
        Duration unhostedAfter =
                Duration.ofMillis(Math.max(2 * config.recoveryGrace().toMillis(), 10_000));
        nodeRecovery = new NodeRecovery(
                store,
                records,
                membership,
                placer,
                agents,
                modules,
                events,
                metrics,
                leaderWorkers,
                4,
                config.recoveryGrace(),
                new UnhostedProcesses(records, membership, agents, unhostedAfter, config.agentDeadline(), clock),
                UNHOSTED_SCAN_EVERY,
                clock);
        rebalancer = rebalancer(migrations);
        ProcessLifecycle lifecycle = new ProcessLifecycle(
                store, membership, placer, agents, images, modules, events, metrics, checkpoints, clock, tracer);
        endedSweeper = new EndedProcessSweeper(records, lifecycle, config.keepEnded(), clock);
        retainedCopies = new pm.coordinator.migration.RetainedCopies(store, records, clock);
        ClusterService service = new ClusterService(
                lifecycle,
                new ProcessQueries(store, records, owners, agents),
                migrations,
                new Drainer(membership, store, migrations, events),
                new LogFollower(store, owners, agents),
                images,
                events,
                membership,
                records,
                this::leaderInfo,
                rebalancer,
                new BlobRelay(membership, agents),
                new FileCopy(store, owners, agents),
                requests,
                console == null ? ConsoleLogins.OFF : console);
        // One definition for both doors: the network's, behind certificates, and the console's, behind its sessions.
        ServerServiceDefinition cluster = ServerInterceptors.intercept(
                service, new LeaderGate(this::isLeader, this::leaderAddress), new RequestIds());

        server = transport
                .server(config.network().grpcSocket(), ClusterAccess.POLICY)
                .maxInboundMessageSize(64 << 20)
                .addService(cluster)
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .build()
                .start();
        metricsPort = metrics.serve(config.network().metricsSocket());
        if (console != null) {
            console.start(cluster);
        }
        leadership = new Leadership(zk, config.layout(), address(), new Leadership.Listener() {
            @Override
            public void elected() {
                leaderThread.execute(CoordinatorServer.this::lead);
            }

            @Override
            public void deposed() {
                LOG.info("coordinator " + config.name() + " stopped leading");
            }
        });
        rebalancer.start();
        try {
            leadership.start();
        } catch (Exception e) {
            throw new IOException("cannot join the leader election", e);
        }
        return this;
    }

    /** Rebalancing rounds, on their own threads: every interval while this coordinator leads, and on request. */
    private Rebalancer rebalancer(MigrationOrchestrator migrations) {
        RecentMoves recent = new RecentMoves(clock);
        LoadSampler sampler = new LoadSampler(
                membership, records, agents, recent, System::nanoTime, Duration.ofSeconds(1), Duration.ofSeconds(10));
        return new Rebalancer(
                config.rebalance(),
                sampler,
                migrations,
                store,
                recent,
                events,
                metrics,
                this::isLeader,
                clock,
                config.name());
    }

    /** On the leader thread: announce, settle what an earlier leader left, and keep settling while leading. */
    private void lead() {
        if (!isLeader()) {
            return;
        }
        LOG.info("coordinator " + config.name() + " leads at " + address());
        events.publish(
                ClusterEvent.Kind.KIND_LEADER_ELECTED,
                "",
                "",
                0,
                "coordinator " + config.name() + " at " + address() + " leads");
        settle();
        keepPolicies();
    }

    /** While leading: checkpoint policies and recovery of lost nodes' processes, a few times a second. */
    private void keepPolicies() {
        if (!isLeader() || state.get() != State.STARTED) {
            return;
        }
        try {
            nodeRecovery.tick();
            checkpointScheduler.tick();
            endedSweeper.tick();
            retainedCopies.tick();
            if (clock.millis() - requestsSweptMillis > REQUEST_SWEEP_EVERY.toMillis()) {
                requests.sweep(KEEP_REQUESTS);
                requestsSweptMillis = clock.millis();
            }
        } catch (RuntimeException e) {
            LOG.warn("checkpoint policies or node recovery failed; trying again shortly", e);
        }
        leaderThread.schedule(this::keepPolicies, POLICY_EVERY_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void settle() {
        if (!isLeader() || state.get() != State.STARTED) {
            return;
        }
        try {
            recovery.settle();
        } catch (RuntimeException e) {
            LOG.warn("settling migrations failed; trying again shortly", e);
        }
        leaderThread.schedule(this::settle, SETTLE_EVERY_MILLIS, TimeUnit.MILLISECONDS);
    }

    public boolean isLeader() {
        return leadership != null && state.get() == State.STARTED && leadership.isLeader();
    }

    private String leaderAddress() {
        return leadership == null ? "" : leadership.leaderAddress();
    }

    private LeaderInfo leaderInfo() {
        return LeaderInfo.newBuilder()
                .setLeaderAddress(leaderAddress())
                .setThisAddress(address())
                .setIsLeader(isLeader())
                .build();
    }

    public String name() {
        return config.name();
    }

    public int port() {
        return server.getPort();
    }

    /** What clients and the leader latch name: the advertised host (or the bind address) and the port it got. */
    public String address() {
        return config.network().advertised(port()).toString();
    }

    public int metricsPort() {
        return metricsPort;
    }

    /** The web console's port, or -1 when it serves none. */
    public int consolePort() {
        return console == null ? -1 : console.port();
    }

    public EventHub events() {
        return events;
    }

    public CoordinatorMetrics metrics() {
        return metrics;
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /** Stops leading first (so a standby takes over), then serving; the ZooKeeper session ends last. */
    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) != State.STARTED) {
            return;
        }
        if (leadership != null) {
            leadership.close();
        }
        leaderThread.shutdownNow();
        leaderWorkers.shutdownNow();
        if (rebalancer != null) {
            rebalancer.close();
        }
        health.enterTerminalState();
        if (console != null) {
            console.close();
        }
        if (server != null) {
            server.shutdownNow();
        }
        membership.close();
        records.close();
        agents.close();
        metrics.close();
        zk.close();
        try {
            if (server != null) {
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Membership changes as events; a node that leaves takes its placement reservations along. */
    private final class MembershipEvents implements MembershipListener {
        @Override
        public void joined(NodeRecord node) {
            if (nodeRecovery != null) {
                nodeRecovery.joined(node.getName());
            }
            events.publish(
                    ClusterEvent.Kind.KIND_NODE_JOINED,
                    "",
                    node.getName(),
                    0,
                    "node " + node.getName() + " at " + node.getAddress());
        }

        @Override
        public void reported(NodeRecord node) {
            // reservations expire on their own (see Reservations)
        }

        @Override
        public void left(String name) {
            reservations.forget(name);
            if (nodeRecovery != null) {
                nodeRecovery.left(name);
            }
            events.publish(ClusterEvent.Kind.KIND_NODE_LEFT, "", name, 0, "node " + name + " left");
        }

        @Override
        public void draining(String name) {
            // the Drain call publishes KIND_NODE_DRAINING itself
        }
    }
}
