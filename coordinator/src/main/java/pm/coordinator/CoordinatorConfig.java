package pm.coordinator;

import java.time.Duration;
import pm.agent.cluster.ClusterLayout;

/**
 * How one coordinator runs: its name, the ZooKeeper ensemble and root, its gRPC and metrics ports
 * on 127.0.0.1 (0 = any free port), and how long one agent call may take.
 */
public record CoordinatorConfig(String name, String zookeeper, ClusterLayout layout, int port, int metricsPort,
        Duration agentDeadline) {

    public CoordinatorConfig {
        if (name.isEmpty() || zookeeper.isEmpty()) {
            throw new IllegalArgumentException("a coordinator needs a name and a ZooKeeper connect string");
        }
    }

    public static CoordinatorConfig defaults(String name, String zookeeper) {
        return new CoordinatorConfig(name, zookeeper, ClusterLayout.DEFAULT, 0, 0, Duration.ofMinutes(10));
    }

    public CoordinatorConfig withLayout(ClusterLayout value) {
        return new CoordinatorConfig(name, zookeeper, value, port, metricsPort, agentDeadline);
    }

    public CoordinatorConfig withPort(int value) {
        return new CoordinatorConfig(name, zookeeper, layout, value, metricsPort, agentDeadline);
    }

    public CoordinatorConfig withMetricsPort(int value) {
        return new CoordinatorConfig(name, zookeeper, layout, port, value, agentDeadline);
    }
}
