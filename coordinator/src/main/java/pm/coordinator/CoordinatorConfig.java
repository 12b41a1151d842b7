package pm.coordinator;

import java.time.Duration;
import pm.agent.cluster.ClusterLayout;

/**
 * How one coordinator runs: its name, the ZooKeeper ensemble and root, its gRPC and metrics ports
 * on 127.0.0.1 (0 = any free port), how long one agent call may take, and how long a node may stay
 * away before its processes are recovered elsewhere (longer than an agent's ZooKeeper session
 * timeout, so that a cut-off agent has frozen its processes before they start elsewhere).
 */
public record CoordinatorConfig(String name, String zookeeper, ClusterLayout layout, int port, int metricsPort,
        Duration agentDeadline, Duration recoveryGrace) {

    public CoordinatorConfig {
        if (name.isEmpty() || zookeeper.isEmpty()) {
            throw new IllegalArgumentException("a coordinator needs a name and a ZooKeeper connect string");
        }
    }

    public static CoordinatorConfig defaults(String name, String zookeeper) {
        return new CoordinatorConfig(name, zookeeper, ClusterLayout.DEFAULT, 0, 0, Duration.ofMinutes(10), Duration.ofSeconds(15));
    }

    public CoordinatorConfig withLayout(ClusterLayout value) {
        return new CoordinatorConfig(name, zookeeper, value, port, metricsPort, agentDeadline, recoveryGrace);
    }

    public CoordinatorConfig withPort(int value) {
        return new CoordinatorConfig(name, zookeeper, layout, value, metricsPort, agentDeadline, recoveryGrace);
    }

    public CoordinatorConfig withMetricsPort(int value) {
        return new CoordinatorConfig(name, zookeeper, layout, port, value, agentDeadline, recoveryGrace);
    }

    public CoordinatorConfig withRecoveryGrace(Duration value) {
        return new CoordinatorConfig(name, zookeeper, layout, port, metricsPort, agentDeadline, value);
    }
}
