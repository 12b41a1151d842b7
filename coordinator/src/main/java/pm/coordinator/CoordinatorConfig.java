package pm.coordinator;

import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import pm.common.cluster.ClusterLayout;
import pm.common.net.GrpcTransport;
import pm.common.net.NetworkSettings;
import pm.common.zk.ZooKeeperAccess;
import pm.coordinator.rebalance.RebalanceSettings;

/**
 * How one coordinator runs: its name, the ZooKeeper ensemble, root and credentials, where it listens
 * and what it advertises, how its connections are secured, how long one agent call may take, how
 * long a node may stay away before its processes are recovered elsewhere (longer than an agent's
 * ZooKeeper session timeout, so that a cut-off agent has frozen its processes before they start
 * elsewhere), how it rebalances, and how long an ended process is kept (record and output) before it
 * is removed ({@code Duration.ZERO}: until someone removes it), and where it serves its web console ({@code consolePort}, on the
 * bind address; -1: none), and what it records its traces with ({@code OpenTelemetry.noop()}: none; the
 * coordinator does not close it). The defaults listen on 127.0.0.1 in plaintext, for tests and
 * embedding; {@code pm coordinator} asks for certificates unless told {@code --insecure}.
 */
public record CoordinatorConfig(
        String name,
        String zookeeper,
        ClusterLayout layout,
        ZooKeeperAccess zookeeperAccess,
        NetworkSettings network,
        GrpcTransport transport,
        Duration agentDeadline,
        Duration recoveryGrace,
        RebalanceSettings rebalance,
        Duration keepEnded,
        int consolePort,
        OpenTelemetry telemetry) {

    public CoordinatorConfig {
        java.util.Objects.requireNonNull(telemetry, "telemetry (OpenTelemetry.noop() for no traces)");
        if (name.isEmpty() || zookeeper.isEmpty()) {
            throw new IllegalArgumentException("a coordinator needs a name and a ZooKeeper connect string");
        }
        if (consolePort < -1 || consolePort > 65535) {
            throw new IllegalArgumentException(
                    "the console port is 0-65535 (0: any free port), or -1 for no console: " + consolePort);
        }
        if (agentDeadline.isNegative() || agentDeadline.isZero()) {
            throw new IllegalArgumentException("the agent call deadline must be positive: " + agentDeadline);
        }
    }

    public static CoordinatorConfig defaults(String name, String zookeeper) {
        return new CoordinatorConfig(
                name,
                zookeeper,
                ClusterLayout.DEFAULT,
                ZooKeeperAccess.OPEN,
                NetworkSettings.LOOPBACK,
                GrpcTransport.insecure(),
                Duration.ofMinutes(10),
                Duration.ofSeconds(15),
                RebalanceSettings.DEFAULTS,
                Duration.ofDays(7),
                -1,
                OpenTelemetry.noop());
    }

    public CoordinatorConfig withLayout(ClusterLayout value) {
        return new CoordinatorConfig(
                name,
                zookeeper,
                value,
                zookeeperAccess,
                network,
                transport,
                agentDeadline,
                recoveryGrace,
                rebalance,
                keepEnded,
                consolePort,
                telemetry);
    }

    public CoordinatorConfig withZooKeeperAccess(ZooKeeperAccess value) {
        return new CoordinatorConfig(
                name,
                zookeeper,
                layout,
                value,
                network,
                transport,
                agentDeadline,
                recoveryGrace,
                rebalance,
                keepEnded,
                consolePort,
                telemetry);
    }

    public CoordinatorConfig withNetwork(NetworkSettings value) {
        return new CoordinatorConfig(
                name,
                zookeeper,
                layout,
                zookeeperAccess,
                value,
                transport,
                agentDeadline,
                recoveryGrace,
                rebalance,
                keepEnded,
                consolePort,
                telemetry);
    }

    public CoordinatorConfig withTransport(GrpcTransport value) {
        return new CoordinatorConfig(
                name,
                zookeeper,
                layout,
                zookeeperAccess,
                network,
                value,
                agentDeadline,
                recoveryGrace,
                rebalance,
                keepEnded,
                consolePort,
                telemetry);
    }

    public CoordinatorConfig withPort(int value) {
        return withNetwork(network.withPort(value));
    }

    public CoordinatorConfig withMetricsPort(int value) {
        return withNetwork(network.withMetricsPort(value));
    }

    public CoordinatorConfig withAgentDeadline(Duration value) {
        return new CoordinatorConfig(
                name,
                zookeeper,
                layout,
                zookeeperAccess,
                network,
                transport,
                value,
                recoveryGrace,
                rebalance,
                keepEnded,
                consolePort,
                telemetry);
    }

    public CoordinatorConfig withRecoveryGrace(Duration value) {
        return new CoordinatorConfig(
                name,
                zookeeper,
                layout,
                zookeeperAccess,
                network,
                transport,
                agentDeadline,
                value,
                rebalance,
                keepEnded,
                consolePort,
                telemetry);
    }

    public CoordinatorConfig withKeepEnded(Duration value) {
        if (value.isNegative()) {
            throw new IllegalArgumentException("how long ended processes are kept is not negative: " + value);
        }
        return new CoordinatorConfig(
                name,
                zookeeper,
                layout,
                zookeeperAccess,
                network,
                transport,
                agentDeadline,
                recoveryGrace,
                rebalance,
                value,
                consolePort,
                telemetry);
    }

    public CoordinatorConfig withRebalance(RebalanceSettings value) {
        return new CoordinatorConfig(
                name,
                zookeeper,
                layout,
                zookeeperAccess,
                network,
                transport,
                agentDeadline,
                recoveryGrace,
                value,
                keepEnded,
                consolePort,
                telemetry);
    }

    /** Serves the web console on this port of the bind address (0: any free port; -1, the default: no console). */
    public CoordinatorConfig withConsolePort(int value) {
        return new CoordinatorConfig(
                name,
                zookeeper,
                layout,
                zookeeperAccess,
                network,
                transport,
                agentDeadline,
                recoveryGrace,
                rebalance,
                keepEnded,
                value,
                telemetry);
    }

    /** Records traces with {@code value} (spans of migrations and spawns, trace context over gRPC); its owner closes it. */
    public CoordinatorConfig withTelemetry(OpenTelemetry value) {
        return new CoordinatorConfig(
                name,
                zookeeper,
                layout,
                zookeeperAccess,
                network,
                transport,
                agentDeadline,
                recoveryGrace,
                rebalance,
                keepEnded,
                consolePort,
                value);
    }
}
