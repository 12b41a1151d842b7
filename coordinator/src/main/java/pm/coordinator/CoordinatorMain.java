package pm.coordinator;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import pm.common.cli.DaemonLauncher;
import pm.common.cli.LoggingOptions;
import pm.common.cli.NetworkOptions;
import pm.common.cli.TlsOptions;
import pm.common.cli.TracingOptions;
import pm.common.cli.ZooKeeperOptions;
import pm.common.cluster.ClusterLayout;
import pm.common.cluster.ParentWatch;
import pm.common.net.GrpcTransport;
import pm.common.security.Role;
import pm.common.tracing.DaemonTracing;
import pm.coordinator.migration.CoordinatorFaultPoint;
import pm.coordinator.migration.MigrationObserver;
import pm.coordinator.rebalance.RebalanceSettings;

/**
 * {@code pm coordinator}: runs one coordinator until the JVM is stopped. Prints exactly one line,
 * {@code coordinator NAME listening on HOST:PORT metrics PORT [console PORT]}, once it serves (HOST:PORT is what it
 * advertises; the console's port only when it serves one). A fault point makes it halt as by kill -9 once a migration's journal reaches that phase
 * (the fault-injection suite). With {@code --exit-with-stdin} it exits when its standard input closes,
 * so one a test started never outlives the test's JVM.
 */
@Command(
        name = "pm coordinator",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description =
                "Runs a coordinator: the Cluster API, and while it leads, placement, migrations, checkpoints, recovery, rebalancing.")
public final class CoordinatorMain implements Callable<Integer> {
    @Mixin
    ZooKeeperOptions cluster;

    @Option(
            names = "--name",
            paramLabel = "NAME",
            defaultValue = "coordinator",
            description = "This coordinator's name (default: ${DEFAULT-VALUE}).")
    String name;

    @Mixin
    NetworkOptions network;

    @Mixin
    TlsOptions tls;

    @Mixin
    LoggingOptions logging;

    @Mixin
    TracingOptions tracingOptions;

    @Option(
            names = "--agent-deadline-ms",
            paramLabel = "MS",
            defaultValue = "600000",
            description =
                    "How long one call to an agent may take, a migration's pre-copy included (default: ${DEFAULT-VALUE}).")
    long agentDeadlineMillis;

    @Option(
            names = "--recovery-grace-ms",
            paramLabel = "MS",
            defaultValue = "15000",
            description =
                    "How long a lost node may stay away before its processes are recovered elsewhere (default: ${DEFAULT-VALUE}).")
    long recoveryGraceMillis;

    @Option(
            names = "--keep-ended-hours",
            paramLabel = "HOURS",
            defaultValue = "168",
            description =
                    "Remove a process this long after it ended, its record, output and files (default: ${DEFAULT-VALUE}; "
                            + "0 keeps them until pmctl rm).")
    long keepEndedHours;

    @Option(
            names = "--rebalance-interval-ms",
            paramLabel = "MS",
            defaultValue = "0",
            description = "Rebalance every MS while leading (default: ${DEFAULT-VALUE}, only on request).")
    long rebalanceIntervalMillis;

    @Option(
            names = "--rebalance-threshold",
            paramLabel = "F",
            description = "Imbalance that starts a round (0.10 = 10 %).")
    Double rebalanceThreshold;

    @Option(names = "--max-migrations", paramLabel = "N", description = "Migrations at once in the cluster.")
    Integer maxMigrations;

    @Option(names = "--max-migrations-per-node", paramLabel = "N", description = "Migrations at once per node.")
    Integer maxMigrationsPerNode;

    @Option(
            names = "--console-port",
            paramLabel = "P",
            defaultValue = "-1",
            description =
                    "Serve the web console on this port of the --bind address (0: any free port; default: ${DEFAULT-VALUE}, "
                            + "no console). HTTPS with this coordinator's certificate unless --insecure; pmctl console prints a login URL.")
    int consolePort;

    @Option(
            names = "--fault-point",
            hidden = true,
            description = "coordinator.started or coordinator.committed (the fault suite).")
    String faultPoint;

    @Option(names = "--exit-with-stdin", hidden = true, description = "Exit when standard input closes.")
    boolean exitWithStdin;

    public static void main(String[] args) {
        int code = DaemonLauncher.run("pm coordinator", new CoordinatorMain(), args, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    @Override
    public Integer call() throws Exception {
        logging.apply();
        if (cluster.zookeeper() == null) {
            throw new IllegalArgumentException(
                    "--zookeeper is required: the coordinator keeps the cluster's state there");
        }
        GrpcTransport transport = tls.transport("coordinator " + name, Set.of(Role.NODE));
        DaemonTracing tracing = tracingOptions.tracing("pm-coordinator", name);
        RebalanceSettings rebalance =
                RebalanceSettings.DEFAULTS.withInterval(Duration.ofMillis(rebalanceIntervalMillis));
        if (rebalanceThreshold != null) {
            rebalance = rebalance.withThreshold(rebalanceThreshold);
        }
        if (maxMigrations != null) {
            rebalance = rebalance.withMaxConcurrent(maxMigrations);
        }
        if (maxMigrationsPerNode != null) {
            rebalance = rebalance.withMaxPerNode(maxMigrationsPerNode);
        }
        MigrationObserver fault = faultPoint == null ? MigrationObserver.NONE : CoordinatorFaultPoint.parse(faultPoint);
        CoordinatorConfig config = CoordinatorConfig.defaults(name, cluster.zookeeper())
                .withLayout(new ClusterLayout(cluster.root()))
                .withZooKeeperAccess(cluster.access(transport))
                .withNetwork(network.settings())
                .withTransport(transport)
                .withAgentDeadline(Duration.ofMillis(agentDeadlineMillis))
                .withRecoveryGrace(Duration.ofMillis(recoveryGraceMillis))
                .withRebalance(rebalance)
                .withKeepEnded(Duration.ofHours(keepEndedHours))
                .withConsolePort(consolePort)
                .withTelemetry(tracing.telemetry());
        CoordinatorServer server = new CoordinatorServer(config, fault).start();
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            server.close();
                            tracing.close(); // after the server: its last spans go too
                        },
                        "pm-coordinator-shutdown"));
        org.slf4j.LoggerFactory.getLogger(CoordinatorMain.class)
                .atInfo()
                .addKeyValue("node", name)
                .addKeyValue("address", server.address())
                .log("coordinator started: ZooKeeper {}", cluster.zookeeper());
        System.out.println("coordinator " + name + " listening on " + server.address() + " metrics "
                + server.metricsPort() + (server.consolePort() < 0 ? "" : " console " + server.consolePort()));
        System.out.flush();
        if (exitWithStdin) {
            ParentWatch.exitWhenStdinCloses();
        }
        server.awaitTermination();
        return 0;
    }
}
