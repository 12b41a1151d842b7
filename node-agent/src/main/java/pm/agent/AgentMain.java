package pm.agent;

import pm.agent.cluster.ParentWatch;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Runs one node agent until the JVM is stopped:
 * {@code AgentMain --name NAME --data DIR [--port P] [--metrics-port P] [--workers N] [--fault-point POINT]
 * [--zookeeper HOST:PORT [--zk-root /pm] [--capacity-mib N] [--labels K=V,...] [--zk-session-timeout-ms MS]]
 * [--exit-with-stdin]}; with
 * {@code --zookeeper} it joins that cluster. Prints one line, {@code agent NAME listening on HOST:PORT metrics PORT}, once it
 * serves. With {@code --exit-with-stdin} it exits when its standard input closes, so an agent a test
 * started never outlives the test's JVM.
 */
public final class AgentMain {
    private AgentMain() {}

    public static void main(String[] args) throws Exception {
        String name = null;
        Path data = null;
        AgentConfig config;
        int port = 0;
        int metricsPort = 0;
        int workers = 2;
        String fault = "";
        boolean exitWithStdin = false;
        String zookeeper = null;
        String zkRoot = "/pm";
        long capacityMiB = 4096;
        int sessionTimeoutMillis = AgentConfig.ClusterSettings.DEFAULT_SESSION_TIMEOUT_MILLIS;
        java.util.Map<String, String> labels = new java.util.HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--exit-with-stdin")) {
                exitWithStdin = true;
                continue;
            }
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--name" -> name = value;
                case "--data" -> data = Paths.get(value);
                case "--port" -> port = Integer.parseInt(value);
                case "--metrics-port" -> metricsPort = Integer.parseInt(value);
                case "--workers" -> workers = Integer.parseInt(value);
                case "--fault-point" -> fault = value;
                case "--zookeeper" -> zookeeper = value;
                case "--zk-root" -> zkRoot = value;
                case "--capacity-mib" -> capacityMiB = Long.parseLong(value);
                case "--labels" -> labels.putAll(parseLabels(value));
                case "--zk-session-timeout-ms" -> sessionTimeoutMillis = Integer.parseInt(value);
                default -> usage("unknown option " + args[i]);
            }
            i++;
        }
        if (name == null || data == null) {
            usage("--name and --data are required");
        }
        config = AgentConfig.defaults(name, data).withPort(port).withMetricsPort(metricsPort).withWorkers(workers)
                .withFaultPoint(fault);
        if (zookeeper != null) {
            config = config.withCluster(new AgentConfig.ClusterSettings(zookeeper, zkRoot, capacityMiB << 20, 10_000, labels,
                    sessionTimeoutMillis));
        }
        NodeAgentServer server = new NodeAgentServer(config).start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "pm-agent-shutdown"));
        System.out.println("agent " + name + " listening on " + server.address() + " metrics " + server.metricsPort());
        System.out.flush();
        if (exitWithStdin) {
            ParentWatch.exitWhenStdinCloses();
        }
        server.awaitTermination();
    }

    private static java.util.Map<String, String> parseLabels(String value) {
        java.util.Map<String, String> labels = new java.util.HashMap<>();
        for (String pair : value.split(",")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                usage("a label is KEY=VALUE: " + pair);
            }
            labels.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return labels;
    }

    private static void usage(String problem) {
        System.err.println("agent: " + problem);
        System.err.println("usage: agent --name NAME --data DIR [--port P] [--metrics-port P] [--workers N]"
                + " [--zookeeper HOST:PORT [--zk-root /pm] [--capacity-mib N] [--labels K=V,...]"
                + " [--zk-session-timeout-ms MS]]");
        System.exit(2);
    }
}
