package pm.coordinator;

import pm.agent.cluster.ParentWatch;
import pm.agent.cluster.ClusterLayout;
import java.time.Duration;
import pm.coordinator.rebalance.RebalanceSettings;
import pm.coordinator.migration.CoordinatorFaultPoint;
import pm.coordinator.migration.MigrationObserver;

/**
 * Runs one coordinator until the JVM is stopped:
 * {@code CoordinatorMain --zookeeper HOST:PORT [--zk-root /pm] [--port P] [--metrics-port P] [--name NAME]
 * [--recovery-grace-ms MS] [--rebalance-interval-ms MS] [--rebalance-threshold F] [--max-migrations N]
 * [--max-migrations-per-node N] [--fault-point coordinator.started|coordinator.committed] [--exit-with-stdin]}.
 * Rebalancing runs every MS milliseconds (0, the default: only on request) when the imbalance passes F
 * (0.10 = 10 %), with at most N migrations at once in the cluster / per node. Prints exactly one line,
 * {@code coordinator NAME listening on 127.0.0.1:PORT metrics PORT}, once it serves. A fault point makes it halt as
 * by kill -9 once a migration's journal reaches that phase (the fault-injection suite). With
 * {@code --exit-with-stdin} it exits when its standard input closes, so one a test started never
 * outlives the test's JVM.
 */
public final class CoordinatorMain {
    private CoordinatorMain() {}

    public static void main(String[] args) throws Exception {
        String zookeeper = null;
        String root = ClusterLayout.DEFAULT.root();
        String name = "coordinator";
        int port = 0;
        int metricsPort = 0;
        long recoveryGraceMillis = -1;
        boolean exitWithStdin = false;
        RebalanceSettings rebalance = RebalanceSettings.DEFAULTS;
        MigrationObserver fault = MigrationObserver.NONE;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--exit-with-stdin")) {
                exitWithStdin = true;
                continue;
            }
            String value = i + 1 < args.length ? args[i + 1] : null;
            if (value == null) {
                usage("option " + args[i] + " needs a value");
            }
            try {
                switch (args[i]) {
                    case "--zookeeper" -> zookeeper = value;
                    case "--zk-root" -> root = value;
                    case "--port" -> port = Integer.parseInt(value);
                    case "--metrics-port" -> metricsPort = Integer.parseInt(value);
                    case "--name" -> name = value;
                    case "--recovery-grace-ms" -> recoveryGraceMillis = Long.parseLong(value);
                    case "--fault-point" -> fault = faultPoint(value);
                    case "--rebalance-interval-ms" -> rebalance = rebalance.withInterval(Duration.ofMillis(Long.parseLong(value)));
                    case "--rebalance-threshold" -> rebalance = rebalance.withThreshold(Double.parseDouble(value));
                    case "--max-migrations" -> rebalance = rebalance.withMaxConcurrent(Integer.parseInt(value));
                    case "--max-migrations-per-node" -> rebalance = rebalance.withMaxPerNode(Integer.parseInt(value));
                    default -> usage("unknown option " + args[i]);
                }
            } catch (IllegalArgumentException e) {
                usage("bad value for " + args[i] + ": " + e.getMessage());
            }
            i++;
        }
        if (zookeeper == null) {
            usage("--zookeeper is required");
        }
        CoordinatorConfig config = CoordinatorConfig.defaults(name, zookeeper)
                .withLayout(new ClusterLayout(root)).withPort(port).withMetricsPort(metricsPort).withRebalance(rebalance);
        if (recoveryGraceMillis >= 0) {
            config = config.withRecoveryGrace(Duration.ofMillis(recoveryGraceMillis));
        }
        CoordinatorServer server = new CoordinatorServer(config, fault).start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "pm-coordinator-shutdown"));
        System.out.println("coordinator " + name + " listening on " + server.address() + " metrics " + server.metricsPort());
        System.out.flush();
        if (exitWithStdin) {
            ParentWatch.exitWhenStdinCloses();
        }
        server.awaitTermination();
    }

    private static MigrationObserver faultPoint(String value) {
        try {
            return CoordinatorFaultPoint.parse(value);
        } catch (IllegalArgumentException e) {
            usage(e.getMessage());
            return MigrationObserver.NONE;
        }
    }

    private static void usage(String problem) {
        System.err.println("coordinator: " + problem);
        System.err.println("usage: coordinator --zookeeper HOST:PORT [--zk-root /pm] [--port P] [--metrics-port P] [--name NAME]"
                + " [--recovery-grace-ms MS] [--rebalance-interval-ms MS] [--rebalance-threshold F] [--max-migrations N]"
                + " [--max-migrations-per-node N] [--fault-point coordinator.started|coordinator.committed] [--exit-with-stdin]");
        System.exit(2);
    }
}
