package pm.agent;

import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Runs one node agent until the JVM is stopped:
 * {@code AgentMain --name NAME --data DIR [--port P] [--metrics-port P] [--workers N] [--fault-point POINT]}.
 * Prints one line, {@code agent NAME listening on HOST:PORT metrics PORT}, once it serves.
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
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--name" -> name = value;
                case "--data" -> data = Paths.get(value);
                case "--port" -> port = Integer.parseInt(value);
                case "--metrics-port" -> metricsPort = Integer.parseInt(value);
                case "--workers" -> workers = Integer.parseInt(value);
                case "--fault-point" -> fault = value;
                default -> usage("unknown option " + args[i]);
            }
            i++;
        }
        if (name == null || data == null) {
            usage("--name and --data are required");
        }
        config = AgentConfig.defaults(name, data).withPort(port).withMetricsPort(metricsPort).withWorkers(workers)
                .withFaultPoint(fault);
        NodeAgentServer server = new NodeAgentServer(config).start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "pm-agent-shutdown"));
        System.out.println("agent " + name + " listening on " + server.address() + " metrics " + server.metricsPort());
        System.out.flush();
        server.awaitTermination();
    }

    private static void usage(String problem) {
        System.err.println("agent: " + problem);
        System.err.println("usage: agent --name NAME --data DIR [--port P] [--metrics-port P] [--workers N]");
        System.exit(2);
    }
}
