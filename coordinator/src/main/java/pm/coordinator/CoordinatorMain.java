package pm.coordinator;

import pm.agent.cluster.ParentWatch;
import pm.agent.cluster.ClusterLayout;

/**
 * Runs one coordinator until the JVM is stopped:
 * {@code CoordinatorMain --zookeeper HOST:PORT [--zk-root /pm] [--port P] [--metrics-port P] [--name NAME]
 * [--exit-with-stdin]}. Prints exactly one line, {@code coordinator NAME listening on 127.0.0.1:PORT metrics PORT},
 * once it serves. With {@code --exit-with-stdin} it exits when its standard input closes, so one a
 * test started never outlives the test's JVM.
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
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--exit-with-stdin")) {
                exitWithStdin = true;
                continue;
            }
            String value = i + 1 < args.length ? args[i + 1] : null;
            if (value == null) {
                usage("option " + args[i] + " needs a value");
            }
            switch (args[i]) {
                case "--zookeeper" -> zookeeper = value;
                case "--zk-root" -> root = value;
                case "--port" -> port = Integer.parseInt(value);
                case "--metrics-port" -> metricsPort = Integer.parseInt(value);
                case "--name" -> name = value;
                case "--recovery-grace-ms" -> recoveryGraceMillis = Long.parseLong(value);
                default -> usage("unknown option " + args[i]);
            }
            i++;
        }
        if (zookeeper == null) {
            usage("--zookeeper is required");
        }
        CoordinatorConfig config = CoordinatorConfig.defaults(name, zookeeper)
                .withLayout(new ClusterLayout(root)).withPort(port).withMetricsPort(metricsPort);
        if (recoveryGraceMillis >= 0) {
            config = config.withRecoveryGrace(java.time.Duration.ofMillis(recoveryGraceMillis));
        }
        CoordinatorServer server = new CoordinatorServer(config).start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "pm-coordinator-shutdown"));
        System.out.println("coordinator " + name + " listening on " + server.address() + " metrics " + server.metricsPort());
        System.out.flush();
        if (exitWithStdin) {
            ParentWatch.exitWhenStdinCloses();
        }
        server.awaitTermination();
    }

    private static void usage(String problem) {
        System.err.println("coordinator: " + problem);
        System.err.println("usage: coordinator --zookeeper HOST:PORT [--zk-root /pm] [--port P] [--metrics-port P] [--name NAME]"
                + " [--recovery-grace-ms MS] [--exit-with-stdin]");
        System.exit(2);
    }
}
