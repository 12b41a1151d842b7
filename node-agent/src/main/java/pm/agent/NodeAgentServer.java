package pm.agent;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.agent.channel.ChannelDispatcher;
import pm.agent.channel.ChannelInbound;
import pm.agent.channel.Doorbell;
import pm.agent.channel.Forwarding;
import pm.agent.channel.ProcessLocator;
import pm.agent.channel.StaticPeersLocator;
import pm.agent.channel.ZooKeeperLocator;
import pm.agent.cluster.NodeRegistration;
import pm.agent.input.InputBlobs;
import pm.agent.migration.FaultPoints;
import pm.agent.migration.MigrationSource;
import pm.agent.migration.MigrationTarget;
import pm.agent.migration.TransferWindow;
import pm.agent.ownership.EpochFence;
import pm.agent.ownership.Ownership;
import pm.agent.ownership.OwnershipGuard;
import pm.agent.ownership.SessionLease;
import pm.agent.process.AgentRecovery;
import pm.agent.process.HostedChannels;
import pm.agent.process.HostedProcess;
import pm.agent.process.JitWarmup;
import pm.agent.process.ProcessFiles;
import pm.agent.process.ProcessHost;
import pm.agent.process.ProcessRecords;
import pm.agent.replica.CheckpointReplicas;
import pm.agent.store.BlobStore;
import pm.agent.store.LocalStores;
import pm.common.cluster.ClusterLayout;
import pm.runtime.interp.JitCache;
import pm.runtime.sched.ProcessScheduler;
import pm.v1.NodeRecord;

/**
 * A running node agent: the gRPC server (NodeAgent, health, reflection) where its settings bind it, the
 * scheduler, the stores under the data directory, metrics over HTTP, and a housekeeping thread
 * that settles migrations whose outcome is not known yet and collects unreferenced chunks. {@link #start} recovers what the data
 * directory holds first, so a restarted agent carries on with the processes it owns. In a cluster
 * it first connects to ZooKeeper (ownership decides what recovery keeps) and, once serving,
 * registers its node record.
 */
public final class NodeAgentServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeAgentServer.class);
    /** A replica younger than this may be on its way to being named by its record (it is stored first). */
    private static final long REPLICA_MIN_AGE_MILLIS = 120_000;

    private final AgentConfig config;
    private final ProcessScheduler scheduler;
    private final AgentMetrics metrics;
    private final AgentChannels channels;
    /** The configured transport, carrying trace context over every call this agent serves or makes. */
    private final pm.common.net.GrpcTransport transport;

    private final io.opentelemetry.api.trace.Tracer tracer;
    private final LocalStores stores;
    private final ProcessHost host;
    private final MigrationSource source;
    private final MigrationTarget target;
    private final CheckpointReplicas replicas;
    private final ChannelInbound inbound;
    private final StaticPeersLocator peers;
    private final ChannelDispatcher dispatcher;
    private final ExecutorService background;
    private final ScheduledExecutorService housekeeping;
    /** In a cluster: the time within which this node's processes may run (see {@link SessionLease}), renewed on its own thread. */
    private final SessionLease lease;

    private final ScheduledExecutorService leaseKeeper =
            Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "pm-agent-lease"));
    private final HealthStatusManager health = new HealthStatusManager();
    private final EpochFence epochs;
    private final CuratorFramework zk;
    private final InputBlobs inputs;
    /** The compiled code of the modules here, kept under the data directory across restarts. */
    private final JitCache code;

    private final UnusedDataSweeper unusedData;
    private Ownership ownership = Ownership.STANDALONE;
    private NodeRegistration registration;
    private final long startedMillis = System.currentTimeMillis();
    private Server server;
    private int metricsPort;
    private boolean closed;

    public NodeAgentServer(AgentConfig config) {
        this.config = config;
        Path data = config.dataDir();
        try { // first: a data directory that cannot hold it is refused before anything starts
            this.code = JitCache.inDirectory(data.resolve("code"));
        } catch (IOException e) {
            String why = e instanceof java.nio.file.FileAlreadyExistsException
                    ? "it exists and is no directory"
                    : e.toString();
            throw new IllegalArgumentException(
                    "data directory " + data + ": cannot keep compiled code in " + data.resolve("code") + ": " + why,
                    e);
        }
        this.lease = config.cluster() == null
                ? null
                : new SessionLease(config.cluster().leaseMillis(), System::nanoTime);
        this.scheduler =
                new ProcessScheduler(config.workers(), config.fuelPerSlice(), lease == null ? () -> true : lease);
        this.metrics = new AgentMetrics(config.nodeName());
        this.transport = config.transport().traced(config.telemetry());
        this.tracer = config.telemetry().getTracer("pm.agent");
        this.channels = new AgentChannels(transport, config.maxMessageBytes());
        this.background = Executors.newSingleThreadExecutor(r -> daemon(r, "pm-agent-background"));
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "pm-agent-housekeeping"));
        this.stores = new LocalStores(data, config.imageKeys());
        this.epochs = new EpochFence(config.cluster() != null);
        Doorbell doorbell = new Doorbell();
        try {
            this.inputs = new InputBlobs(new BlobStore(data.resolve("inputs")), this::peerAddresses, channels::get);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot open the input store under " + data, e);
        }
        this.host = new ProcessHost(
                config,
                scheduler,
                stores,
                new ProcessRecords(data.resolve("processes")),
                metrics,
                background,
                doorbell::ring,
                inputs,
                code);
        FaultPoints faults = new FaultPoints(config.faultPoint(), data);
        Forwarding forwarding = new Forwarding(100_000);
        this.source = new MigrationSource(host, channels, metrics, faults, this::address, forwarding, tracer);
        HostedChannels local = new HostedChannels(host);
        this.inbound = new ChannelInbound(local, forwarding);
        this.peers = new StaticPeersLocator(channels::get);
        ProcessLocator locator = peers;
        CuratorFramework client = null;
        if (config.cluster() != null) {
            // Started in start(), before recovery; the locator only reads through it.
            client = config.cluster()
                    .access()
                    .newClient(
                            config.cluster().zookeeper(),
                            config.cluster().sessionTimeoutMillis(),
                            5_000,
                            new ExponentialBackoffRetry(100, 5));
            locator = ProcessLocator.firstOf(List.of(
                    new ZooKeeperLocator(
                            client, new ClusterLayout(config.cluster().root())),
                    peers));
        }
        this.zk = client;
        this.dispatcher = new ChannelDispatcher(local, inbound, locator, channels::get, doorbell);
        this.target = new MigrationTarget(host, channels, metrics, faults, tracer);
        this.replicas = new CheckpointReplicas(host, channels, 4L << 30);
        this.unusedData = new UnusedDataSweeper(
                host, inputs.store(), this::clusterModules, config.inputGraceMillis(), System::currentTimeMillis);
        metrics.watch(host, scheduler);
        metrics.watch(code);
        if (zk != null) {
            metrics.watch(zk);
        }
    }

    /** The other agents of the cluster, as ZooKeeper lists them now; none for a standalone agent. */
    private List<String> peerAddresses() {
        if (zk == null) {
            return List.of();
        }
        ClusterLayout layout = new ClusterLayout(config.cluster().root());
        List<String> addresses = new java.util.ArrayList<>();
        try {
            for (String name : zk.getChildren().forPath(layout.nodes())) {
                if (!name.equals(config.nodeName())) {
                    addresses.add(pm.v1.NodeRecord.parseFrom(zk.getData().forPath(layout.node(name)))
                            .getAddress());
                }
            }
        } catch (Exception e) {
            LOG.info("cannot list the other nodes: " + e.getMessage());
        }
        return addresses;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Joins the cluster (if configured), recovers the data directory, then serves and registers. */
    public NodeAgentServer start() throws IOException {
        if (config.cluster() != null) {
            joinZooKeeper(config.cluster());
        }
        inputs.store().sweepUploads(); // what uploads cut off by the last stop left
        new AgentRecovery(host, source, target, ownership).recover();
        server = transport
                .server(config.network().grpcSocket(), AgentAccess.POLICY)
                .maxInboundMessageSize(config.maxMessageBytes())
                .flowControlWindow(TransferWindow.HTTP2_BYTES)
                .addService(ServerInterceptors.intercept(
                        new NodeAgentService(
                                host,
                                source,
                                target,
                                4L << 30,
                                epochs,
                                ownership,
                                inbound,
                                replicas,
                                inputs,
                                new ProcessFiles(host),
                                tracer),
                        epochs))
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .build()
                .start();
        metricsPort = metrics.serve(config.network().metricsSocket());
        if (zk != null) {
            try {
                registration = new NodeRegistration(
                                zk, new ClusterLayout(config.cluster().root()), config.nodeName(), this::nodeRecord)
                        .start(30);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while registering in ZooKeeper", e);
            }
        }
        dispatcher.start();
        new JitWarmup(host.factory()).startInBackground(200);
        housekeeping.scheduleWithFixedDelay(this::settle, 1, 1, TimeUnit.SECONDS);
        housekeeping.scheduleWithFixedDelay(this::collectGarbage, 30, 30, TimeUnit.SECONDS);
        housekeeping.scheduleWithFixedDelay(this::sweepInputs, 60, 60, TimeUnit.SECONDS);
        if (ownership instanceof OwnershipGuard guard) {
            housekeeping.scheduleWithFixedDelay(() -> sweepReplicas(guard), 60, 60, TimeUnit.SECONDS);
        }
        return this;
    }

    /** Connects to ZooKeeper before recovery, so that recovery keeps only what this node still owns. */
    private void joinZooKeeper(AgentConfig.ClusterSettings cluster) throws IOException {
        OwnershipGuard guard =
                new OwnershipGuard(zk, new ClusterLayout(cluster.root()), config.nodeName(), host, lease);
        zk.getConnectionStateListenable().addListener(guard);
        zk.start();
        try {
            if (!zk.blockUntilConnected(30, TimeUnit.SECONDS)) {
                zk.close();
                throw new IOException("cannot reach ZooKeeper at " + cluster.zookeeper() + " within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to ZooKeeper", e);
        }
        guard.start();
        ownership = guard;
        try {
            lease.accept(guard.sessionId()); // nothing runs here yet: recovery reads the records under this session
        } catch (Exception e) {
            throw new IOException("cannot read the ZooKeeper session just opened", e);
        }
        renewLease();
        long every = Math.max(20, cluster.leaseMillis() / 5);
        leaseKeeper.scheduleWithFixedDelay(this::renewLease, every, every, TimeUnit.MILLISECONDS);
        host.onEnded(h -> guard.recordEnded(h.id, h.epoch, h.state(), h.exitStatus, h.failure));
        host.onRunsAgain(h -> guard.verifySoon(h.id));
    }

    /** One round trip to ZooKeeper; answered on the same session, it renews the lease from when it was sent. */
    private void renewLease() {
        try {
            long session = zk.getZookeeperClient().getZooKeeper().getSessionId();
            long sent = System.nanoTime();
            zk.checkExists().forPath(config.cluster().root());
            if (zk.getZookeeperClient().getZooKeeper().getSessionId() == session) {
                lease.confirm(session, sent);
            }
        } catch (Exception e) {
            // not answered: the lease runs out, and with it the processes' slices, until it is
            LOG.debug("lease not renewed", e);
        }
    }

    /** What this node tells the cluster about itself; refreshed every second. */
    private NodeRecord nodeRecord() {
        AgentConfig.ClusterSettings cluster = config.cluster();
        long memory = 0;
        int count = 0;
        for (HostedProcess h : host.all()) {
            var p = h.process;
            if (p != null && p.memory() != null) {
                memory += (long) p.memory().pages() << 16;
            }
            count++;
        }
        return NodeRecord.newBuilder()
                .setName(config.nodeName())
                .setAddress(server == null ? "" : address())
                .setCapacityBytes(cluster.capacityBytes())
                .setCapacityProcesses(cluster.capacityProcesses())
                .setMemoryBytes(memory)
                .setProcesses(count)
                .setCpuLoad(
                        Math.min(1.0, (double) (scheduler.running() + scheduler.runQueueLength()) / config.workers()))
                .putAllLabels(cluster.labels())
                .setMetricsAddress(
                        metricsPort == 0
                                ? ""
                                : config.network().advertisedHost(metricsPort).toString())
                .setStartedMillis(startedMillis)
                .build();
    }

    private void settle() {
        try {
            target.resolveUndecided(ownership);
            source.resolveUndecided(ownership);
            source.retryHandOffs();
            host.forEach(h -> h.log.flush()); // output on disk within a second
        } catch (RuntimeException e) {
            LOG.warn("settling migrations failed; trying again in a second", e);
        }
    }

    private void sweepReplicas(OwnershipGuard guard) {
        try {
            int dropped = replicas.sweep(guard::record, REPLICA_MIN_AGE_MILLIS);
            for (String id : host.handedOver().processIds()) { // in case the record's change was missed
                host.handedOver().dropUnlessNamed(id, guard.record(id));
            }
            if (dropped > 0) {
                LOG.info("dropped " + dropped + " replicas no ownership record names on " + config.nodeName());
            }
        } catch (RuntimeException e) {
            LOG.warn("sweeping replicas failed; trying again in a minute", e);
        }
    }

    private void collectGarbage() {
        try {
            stores.collectGarbage();
        } catch (RuntimeException e) {
            LOG.warn("garbage collection of the checkpoint store failed", e);
        }
    }

    /**
     * Deletes inputs and modules nothing here names that were not used within the grace period; returns
     * what went of the inputs (package-private: tests sweep directly).
     */
    BlobStore.Swept sweepInputs() {
        try {
            BlobStore.Swept swept = unusedData.sweepInputs();
            int modules = unusedData.sweepModules();
            if (swept.blobs() > 0 || modules > 0) {
                LOG.info("deleted " + swept.blobs() + " unused inputs (" + swept.bytes() + " bytes) and " + modules
                        + " unused modules on " + config.nodeName());
            }
            return swept;
        } catch (IOException | RuntimeException e) {
            LOG.warn("sweeping unused inputs and modules failed; trying again in a minute", e);
            return new BlobStore.Swept(0, 0);
        }
    }

    /** The modules the cluster's records name; none standalone; unknown while this node is cut off from ZooKeeper. */
    private java.util.Optional<java.util.Set<String>> clusterModules() {
        return ownership instanceof OwnershipGuard guard
                ? guard.modulesNamed()
                : java.util.Optional.of(java.util.Set.of());
    }

    /** The replicas this agent keeps for other nodes (package-private: tests sweep them directly). */
    CheckpointReplicas replicas() {
        return replicas;
    }

    public int port() {
        return server.getPort();
    }

    public int metricsPort() {
        return metricsPort;
    }

    /** What peers dial: the advertised host (or the bind address) and the port this agent got. */
    public String address() {
        return config.network().advertised(port()).toString();
    }

    public String nodeName() {
        return config.nodeName();
    }

    /** Agents (host:port) asked where a message's receiver runs when no hint says so: for agents without ZooKeeper. */
    public void channelPeers(java.util.List<String> addresses) {
        peers.peers(addresses);
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /** Stops serving; processes stay as their checkpoints and records left them. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        health.enterTerminalState();
        if (registration != null) {
            registration.close();
        }
        if (server != null) {
            server.shutdownNow();
        }
        housekeeping.shutdownNow();
        leaseKeeper.shutdownNow();
        dispatcher.close();
        scheduler.close();
        code.close(); // no process runs any more; a compile under way is finished and stored
        channels.close();
        background.shutdown();
        try {
            background.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metrics.close();
        if (ownership instanceof OwnershipGuard guard) {
            guard.close();
        }
        if (zk != null) {
            zk.close();
        }
        stores.close();
        inputs.store().close();
        try {
            if (server != null) {
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
