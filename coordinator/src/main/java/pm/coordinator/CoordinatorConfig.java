package pm.coordinator;

import java.time.Duration;
import pm.agent.cluster.ClusterLayout;
import pm.coordinator.rebalance.RebalanceSettings;

/**
 * How one coordinator runs: its name, the ZooKeeper ensemble and root, its gRPC and metrics ports
 * on 127.0.0.1 (0 = any free port), how long one agent call may take, and how it rebalances.
 */
public record CoordinatorConfig(String name, String zookeeper, ClusterLayout layout, int port, int metricsPort,
        Duration agentDeadline, RebalanceSettings rebalance) {

    public CoordinatorConfig {
        if (name.isEmpty() || zookeeper.isEmpty()) {
            throw new IllegalArgumentException("a coordinator needs a name and a ZooKeeper connect string");
        }
    }

    public static CoordinatorConfig defaults(String name, String zookeeper) {
        return new CoordinatorConfig(name, zookeeper, ClusterLayout.DEFAULT, 0, 0, Duration.ofMinutes(10),
                RebalanceSettings.DEFAULTS);
    }

    public CoordinatorConfig withLayout(ClusterLayout value) {
        return new CoordinatorConfig(name, zookeeper, value, port, metricsPort, agentDeadline, rebalance);
    }

    public CoordinatorConfig withPort(int value) {
        return new CoordinatorConfig(name, zookeeper, layout, value, metricsPort, agentDeadline, rebalance);
    }

    public CoordinatorConfig withMetricsPort(int value) {
        return new CoordinatorConfig(name, zookeeper, layout, port, value, agentDeadline, rebalance);
    }

    public CoordinatorConfig withRebalance(RebalanceSettings value) {
        return new CoordinatorConfig(name, zookeeper, layout, port, metricsPort, agentDeadline, value);
    }
}
