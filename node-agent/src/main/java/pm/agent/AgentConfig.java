package pm.agent;

import java.nio.file.Path;
import java.util.Objects;
import pm.agent.store.crypto.ClusterKeys;
import pm.common.net.GrpcTransport;
import pm.common.net.NetworkSettings;
import pm.common.zk.ZooKeeperAccess;

/**
 * How one agent runs: its name, where it keeps checkpoints and modules, where it listens and what it
 * advertises, how its connections are secured, the scheduler's threads and fuel per slice,
 * per-process defaults (file-system bytes, retained log bytes), the largest gRPC message, a fault
 * point to crash at (tests only; empty in production), how it joins a cluster (null: it runs
 * standalone and answers only to its callers), and the key ring that seals its checkpoints, replicas,
 * staging files and exports ({@link ClusterKeys#NONE}: plaintext), and what it records its traces with
 * ({@code OpenTelemetry.noop()}: none; the agent does not close it). The defaults listen on 127.0.0.1 in plaintext, for
 * tests and embedding; {@code pm agent} asks for certificates unless told {@code --insecure}.
 */
public record AgentConfig(
        String nodeName,
        Path dataDir,
        NetworkSettings network,
        GrpcTransport transport,
        int workers,
        long fuelPerSlice,
        long defaultFsBytes,
        int logRetainBytes,
        int maxMessageBytes,
        String faultPoint,
        ClusterSettings cluster,
        ClusterKeys imageKeys,
        long inputGraceMillis,
        pm.runtime.interp.Machine.Tier tier,
        io.opentelemetry.api.OpenTelemetry telemetry) {

    public AgentConfig {
        Objects.requireNonNull(telemetry, "telemetry (OpenTelemetry.noop() for no traces)");
        Objects.requireNonNull(imageKeys, "imageKeys (ClusterKeys.NONE for plaintext images)");
        Objects.requireNonNull(tier, "tier");
        if (workers < 1
                || fuelPerSlice < 1
                || defaultFsBytes < 0
                || logRetainBytes < 0
                || maxMessageBytes < (1 << 20)
                || inputGraceMillis < 0) {
            throw new IllegalArgumentException(
                    "agent settings out of range: workers=" + workers + " fuel-per-slice=" + fuelPerSlice
                            + " fs-bytes=" + defaultFsBytes + " log-retain-bytes=" + logRetainBytes
                            + " max-message-bytes=" + maxMessageBytes
                            + " (at least 1 MiB) input-grace-ms=" + inputGraceMillis);
        }
    }

    /**
     * The ZooKeeper ensemble and root the agent registers under, how it authenticates there, what it
     * offers the cluster, and its ZooKeeper session timeout (how long it may be silent before the
     * cluster counts it gone).
     */
    /**
     * {@code leaseMillis}: how long after ZooKeeper last answered on this node's session its processes may
     * still run (half the session timeout unless set shorter): the coordinators give a process to another
     * node only after the session expired and a grace on top.
     */
    public record ClusterSettings(
            String zookeeper,
            String root,
            long capacityBytes,
            int capacityProcesses,
            java.util.Map<String, String> labels,
            int sessionTimeoutMillis,
            ZooKeeperAccess access,
            int leaseMillis) {
        public static final int DEFAULT_SESSION_TIMEOUT_MILLIS = 10_000;

        public ClusterSettings {
            labels = java.util.Map.copyOf(labels);
            if (sessionTimeoutMillis <= 0) {
                throw new IllegalArgumentException(
                        "a ZooKeeper session timeout must be positive: " + sessionTimeoutMillis);
            }
            if (leaseMillis <= 0 || leaseMillis > sessionTimeoutMillis / 2) {
                throw new IllegalArgumentException("a lease is positive and at most half the session timeout ("
                        + sessionTimeoutMillis + " ms): " + leaseMillis);
            }
        }

        public ClusterSettings(
                String zookeeper,
                String root,
                long capacityBytes,
                int capacityProcesses,
                java.util.Map<String, String> labels,
                int sessionTimeoutMillis,
                ZooKeeperAccess access) {
            this(
                    zookeeper,
                    root,
                    capacityBytes,
                    capacityProcesses,
                    labels,
                    sessionTimeoutMillis,
                    access,
                    sessionTimeoutMillis / 2);
        }

        public ClusterSettings withLease(int millis) {
            return new ClusterSettings(
                    zookeeper, root, capacityBytes, capacityProcesses, labels, sessionTimeoutMillis, access, millis);
        }

        public ClusterSettings withSessionTimeout(int millis) {
            return new ClusterSettings(
                    zookeeper, root, capacityBytes, capacityProcesses, labels, millis, access, millis / 2);
        }

        public ClusterSettings(
                String zookeeper,
                String root,
                long capacityBytes,
                int capacityProcesses,
                java.util.Map<String, String> labels) {
            this(
                    zookeeper,
                    root,
                    capacityBytes,
                    capacityProcesses,
                    labels,
                    DEFAULT_SESSION_TIMEOUT_MILLIS,
                    ZooKeeperAccess.OPEN);
        }

        public static ClusterSettings of(String zookeeper) {
            return new ClusterSettings(zookeeper, "/pm", 4L << 30, 10_000, java.util.Map.of());
        }
    }

    /** Defaults for a node named {@code nodeName} keeping its data under {@code dataDir}. */
    public static AgentConfig defaults(String nodeName, Path dataDir) {
        return new AgentConfig(
                nodeName,
                dataDir,
                NetworkSettings.LOOPBACK,
                GrpcTransport.insecure(),
                2,
                100_000,
                64L << 20,
                64 << 20,
                16 << 20,
                "",
                null,
                ClusterKeys.NONE,
                15 * 60_000L,
                pm.runtime.interp.Machine.Tier
                        .AUTO, // compiled off the scheduler's threads; interpreted until the code is ready
                io.opentelemetry.api.OpenTelemetry
                        .noop()); // compiled off the scheduler's threads; interpreted until the code is ready
    }

    public AgentConfig withNetwork(NetworkSettings value) {
        return new AgentConfig(
                nodeName,
                dataDir,
                value,
                transport,
                workers,
                fuelPerSlice,
                defaultFsBytes,
                logRetainBytes,
                maxMessageBytes,
                faultPoint,
                cluster,
                imageKeys,
                inputGraceMillis,
                tier,
                telemetry);
    }

    public AgentConfig withTransport(GrpcTransport value) {
        return new AgentConfig(
                nodeName,
                dataDir,
                network,
                value,
                workers,
                fuelPerSlice,
                defaultFsBytes,
                logRetainBytes,
                maxMessageBytes,
                faultPoint,
                cluster,
                imageKeys,
                inputGraceMillis,
                tier,
                telemetry);
    }

    public AgentConfig withPort(int value) {
        return withNetwork(network.withPort(value));
    }

    public AgentConfig withMetricsPort(int value) {
        return withNetwork(network.withMetricsPort(value));
    }

    public AgentConfig withWorkers(int value) {
        return new AgentConfig(
                nodeName,
                dataDir,
                network,
                transport,
                value,
                fuelPerSlice,
                defaultFsBytes,
                logRetainBytes,
                maxMessageBytes,
                faultPoint,
                cluster,
                imageKeys,
                inputGraceMillis,
                tier,
                telemetry);
    }

    /** Per-process defaults and limits: fuel per scheduler slice, file-system bytes, retained log bytes, largest message. */
    public AgentConfig withProcessDefaults(long fuel, long fsBytes, int logBytes, int messageBytes) {
        return new AgentConfig(
                nodeName,
                dataDir,
                network,
                transport,
                workers,
                fuel,
                fsBytes,
                logBytes,
                messageBytes,
                faultPoint,
                cluster,
                imageKeys,
                inputGraceMillis,
                tier,
                telemetry);
    }

    public AgentConfig withFaultPoint(String value) {
        return new AgentConfig(
                nodeName,
                dataDir,
                network,
                transport,
                workers,
                fuelPerSlice,
                defaultFsBytes,
                logRetainBytes,
                maxMessageBytes,
                value,
                cluster,
                imageKeys,
                inputGraceMillis,
                tier,
                telemetry);
    }

    public AgentConfig withCluster(ClusterSettings value) {
        return new AgentConfig(
                nodeName,
                dataDir,
                network,
                transport,
                workers,
                fuelPerSlice,
                defaultFsBytes,
                logRetainBytes,
                maxMessageBytes,
                faultPoint,
                value,
                imageKeys,
                inputGraceMillis,
                tier,
                telemetry);
    }

    /** How long a stored input nothing names is kept after its last use (an upload waits this long for its spawn). */
    public AgentConfig withInputGrace(java.time.Duration value) {
        return new AgentConfig(
                nodeName,
                dataDir,
                network,
                transport,
                workers,
                fuelPerSlice,
                defaultFsBytes,
                logRetainBytes,
                maxMessageBytes,
                faultPoint,
                cluster,
                imageKeys,
                value.toMillis(),
                tier,
                telemetry);
    }

    /** The tier its processes run in (auto: compiled where it can, interpreted until the code is ready). */
    public AgentConfig withTier(pm.runtime.interp.Machine.Tier value) {
        return new AgentConfig(
                nodeName,
                dataDir,
                network,
                transport,
                workers,
                fuelPerSlice,
                defaultFsBytes,
                logRetainBytes,
                maxMessageBytes,
                faultPoint,
                cluster,
                imageKeys,
                inputGraceMillis,
                value,
                telemetry);
    }

    /** Seals this agent's images under {@code value} ({@link ClusterKeys#NONE}, the default: plaintext). */
    public AgentConfig withImageKeys(ClusterKeys value) {
        return new AgentConfig(
                nodeName,
                dataDir,
                network,
                transport,
                workers,
                fuelPerSlice,
                defaultFsBytes,
                logRetainBytes,
                maxMessageBytes,
                faultPoint,
                cluster,
                value,
                inputGraceMillis,
                tier,
                telemetry);
    }

    /** Records traces with {@code value} (spans of its migrations and spawns, trace context over gRPC); its owner closes it. */
    public AgentConfig withTelemetry(io.opentelemetry.api.OpenTelemetry value) {
        return new AgentConfig(
                nodeName,
                dataDir,
                network,
                transport,
                workers,
                fuelPerSlice,
                defaultFsBytes,
                logRetainBytes,
                maxMessageBytes,
                faultPoint,
                cluster,
                imageKeys,
                inputGraceMillis,
                tier,
                value);
    }
}
