package pm.agent;

import java.nio.file.Path;

/**
 * How one agent runs: its name, where it keeps checkpoints and modules, its gRPC and metrics
 * ports (0 = any free port), the scheduler's threads and fuel per slice, per-process defaults,
 * and a fault point to crash at (tests only; empty in production).
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
        String faultPoint) {

    /** Defaults for a node named {@code nodeName} keeping its data under {@code dataDir}. */
    public static AgentConfig defaults(String nodeName, Path dataDir) {
        return new AgentConfig(nodeName, dataDir, 0, 0, 2, 100_000, 64L << 20, 1 << 20, 16 << 20, "");
    }

    public AgentConfig withPort(int value) {
        return new AgentConfig(nodeName, dataDir, value, metricsPort, workers, fuelPerSlice, defaultFsBytes, logRetainBytes,
                maxMessageBytes, faultPoint);
    }

    public AgentConfig withMetricsPort(int value) {
        return new AgentConfig(nodeName, dataDir, port, value, workers, fuelPerSlice, defaultFsBytes, logRetainBytes,
                maxMessageBytes, faultPoint);
    }

    public AgentConfig withWorkers(int value) {
        return new AgentConfig(nodeName, dataDir, port, metricsPort, value, fuelPerSlice, defaultFsBytes, logRetainBytes,
                maxMessageBytes, faultPoint);
    }

    public AgentConfig withFaultPoint(String value) {
        return new AgentConfig(nodeName, dataDir, port, metricsPort, workers, fuelPerSlice, defaultFsBytes, logRetainBytes,
                maxMessageBytes, value);
    }
}
