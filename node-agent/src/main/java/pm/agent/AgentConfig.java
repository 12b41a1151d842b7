package pm.agent;

import java.nio.file.Path;
import java.util.Objects;
import pm.agent.store.crypto.ClusterKeys;

/**
 * How one agent runs: its name, where it keeps checkpoints and modules, its gRPC and metrics
 * ports (0 = any free port), the scheduler's threads and fuel per slice, per-process defaults,
 * a fault point to crash at (tests only; empty in production), how it joins a cluster (null:
 * it runs standalone and answers only to its callers), and the image keys that seal its
 * checkpoints, replicas, staging files and exports ({@link ClusterKeys#NONE}: plaintext).
 */
public record AgentConfig(
        String nodeName,
        Path dataDir,
        int port,
        int metricsPort,
        int workers,
        long fuelPerSlice,
        long defaultFsBytes,
        int logRetainBytes,
        int maxMessageBytes,
        String faultPoint,
        ClusterSettings cluster,
        ClusterKeys imageKeys) {

    public AgentConfig {
        Objects.requireNonNull(imageKeys, "imageKeys (ClusterKeys.NONE for plaintext images)");
    }

    /** A configuration without image keys: images stay plaintext. */
    public AgentConfig(String nodeName, Path dataDir, int port, int metricsPort, int workers, long fuelPerSlice,
            long defaultFsBytes, int logRetainBytes, int maxMessageBytes, String faultPoint, ClusterSettings cluster) {
        this(nodeName, dataDir, port, metricsPort, workers, fuelPerSlice, defaultFsBytes, logRetainBytes, maxMessageBytes,
                faultPoint, cluster, ClusterKeys.NONE);
    }

    /**
     * The ZooKeeper ensemble and root the agent registers under, what it offers the cluster, and its
     * ZooKeeper session timeout (how long it may be silent before the cluster counts it gone).
     */
    public record ClusterSettings(String zookeeper, String root, long capacityBytes, int capacityProcesses,
            java.util.Map<String, String> labels, int sessionTimeoutMillis) {
        public static final int DEFAULT_SESSION_TIMEOUT_MILLIS = 10_000;

        public ClusterSettings {
            labels = java.util.Map.copyOf(labels);
            if (sessionTimeoutMillis <= 0) {
                throw new IllegalArgumentException("a ZooKeeper session timeout must be positive: " + sessionTimeoutMillis);
            }
        }

        public ClusterSettings(String zookeeper, String root, long capacityBytes, int capacityProcesses,
                java.util.Map<String, String> labels) {
            this(zookeeper, root, capacityBytes, capacityProcesses, labels, DEFAULT_SESSION_TIMEOUT_MILLIS);
        }

        public static ClusterSettings of(String zookeeper) {
            return new ClusterSettings(zookeeper, "/pm", 4L << 30, 10_000, java.util.Map.of());
        }
    }

    /** Defaults for a node named {@code nodeName} keeping its data under {@code dataDir}. */
    public static AgentConfig defaults(String nodeName, Path dataDir) {
        return new AgentConfig(nodeName, dataDir, 0, 0, 2, 100_000, 64L << 20, 1 << 20, 16 << 20, "", null);
    }

    public AgentConfig withPort(int value) {
        return new AgentConfig(nodeName, dataDir, value, metricsPort, workers, fuelPerSlice, defaultFsBytes, logRetainBytes,
                maxMessageBytes, faultPoint, cluster, imageKeys);
    }

    public AgentConfig withMetricsPort(int value) {
        return new AgentConfig(nodeName, dataDir, port, value, workers, fuelPerSlice, defaultFsBytes, logRetainBytes,
                maxMessageBytes, faultPoint, cluster, imageKeys);
    }

    public AgentConfig withWorkers(int value) {
        return new AgentConfig(nodeName, dataDir, port, metricsPort, value, fuelPerSlice, defaultFsBytes, logRetainBytes,
                maxMessageBytes, faultPoint, cluster, imageKeys);
    }

    public AgentConfig withFaultPoint(String value) {
        return new AgentConfig(nodeName, dataDir, port, metricsPort, workers, fuelPerSlice, defaultFsBytes, logRetainBytes,
                maxMessageBytes, value, cluster, imageKeys);
    }

    public AgentConfig withCluster(ClusterSettings value) {
        return new AgentConfig(nodeName, dataDir, port, metricsPort, workers, fuelPerSlice, defaultFsBytes, logRetainBytes,
                maxMessageBytes, faultPoint, value, imageKeys);
    }

    /** Seals this agent's images under {@code value} ({@link ClusterKeys#NONE}, the default: plaintext). */
    public AgentConfig withImageKeys(ClusterKeys value) {
        return new AgentConfig(nodeName, dataDir, port, metricsPort, workers, fuelPerSlice, defaultFsBytes, logRetainBytes,
                maxMessageBytes, faultPoint, cluster, value);
    }
}
