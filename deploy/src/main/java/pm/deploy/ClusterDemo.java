package pm.deploy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import pm.client.ClusterClient;
import pm.client.LogOptions;
import pm.client.SpawnOptions;
import pm.client.StreamHandle;
import pm.v1.ClusterProcess;
import pm.v1.LogChunk;
import pm.v1.MigrationReport;

/**
 * {@code ./pm demo}: starts the local cluster (ZooKeeper, a coordinator, three agents — each its own
 * JVM), spawns the demo guest through the SDK, follows its output while migrating it across every
 * agent, and checks that the output is exactly what an uninterrupted run prints. Exits 0 if so.
 */
public final class ClusterDemo {
    private static final int STEPS = 60;
    private static final int DELAY_MS = 150;

    private ClusterDemo() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("pm-demo");
        int status;
        boolean insecure = List.of(args).contains("--insecure");
        try (LocalCluster cluster = insecure ? new LocalCluster(dir).insecure() : new LocalCluster(dir)) {
            System.out.println(
                    "starting ZooKeeper, a coordinator and three agents (separate JVMs; logs in " + dir + "/logs)");
            cluster.start(List.of(0), 3);
            System.out.println("coordinator at " + cluster.coordinatorAddresses() + " (mutual TLS; throw-away CA in "
                    + dir + "/tls)");
            try (ClusterClient client = new ClusterClient(cluster.clientSettings())) {
                if (!cluster.awaitAgentsJoined(client, Duration.ofSeconds(60))) {
                    System.out.println("the agents did not join within 60 s");
                    status = 1;
                } else {
                    status = run(client) ? 0 : 1;
                }
            }
        }
        System.exit(status);
    }

    private static boolean run(ClusterClient client) throws Exception {
        List<String> nodes = new ArrayList<>(client.nodes().stream()
                .map(n -> n.getRecord().getName())
                .sorted()
                .toList());
        System.out.println("nodes: " + String.join(", ", nodes));

        ClusterProcess p = client.spawn(SpawnOptions.builder(DemoGuest.module(), "demo")
                .withProcessId("demo")
                .withArgs(Integer.toString(STEPS), Integer.toString(DELAY_MS))
                .build());
        System.out.println("spawned demo on " + p.getNode() + " (epoch " + p.getEpoch() + ")");

        StringBuilder output = new StringBuilder();
        StreamHandle logs = client.async().logs("demo", LogOptions.follow(), (LogChunk c) -> {
            synchronized (output) {
                int from = output.length();
                output.append(c.getData().toString(StandardCharsets.UTF_8));
                // Print whole lines only; a chunk may end mid-line.
                int start = output.lastIndexOf("\n", from - 1) + 1;
                int end = output.lastIndexOf("\n");
                if (end >= from) {
                    output.substring(start, end).lines().forEach(l -> System.out.println("  | " + l));
                }
                output.notifyAll();
            }
        });

        // Visit every other node, then come back to the first, at even points of the run: every agent runs it.
        String first = p.getNode();
        List<String> route = new ArrayList<>();
        for (int i = 1; i <= nodes.size(); i++) {
            route.add(nodes.get((nodes.indexOf(first) + i) % nodes.size()));
        }
        for (int i = 0; i < route.size(); i++) {
            awaitLines(output, (i + 1) * STEPS / (route.size() + 1));
            MigrationReport r = client.migrate("demo", route.get(i));
            System.out.printf(
                    "== migrated demo %s -> %s: downtime %.1f ms (%.1f transfer + %.1f commit), %d pre-copy round(s),"
                            + " %d KiB sent, epoch %d%n",
                    r.getSourceNode(),
                    r.getTargetNode(),
                    r.getDowntimeMicros() / 1000.0,
                    r.getTransfer().getDowntimeMicros() / 1000.0,
                    (r.getDowntimeMicros() - r.getTransfer().getDowntimeMicros()) / 1000.0,
                    r.getTransfer().getRounds(),
                    r.getTransfer().getBytesSent() >> 10,
                    r.getEpoch());
        }
        logs.done().get(120, TimeUnit.SECONDS);

        String expected = DemoGuest.expectedOutput(STEPS, DemoGuest.DEFAULT_WORK);
        String got;
        synchronized (output) {
            got = output.toString();
        }
        if (got.equals(expected)) {
            System.out.println("output continuous and identical to an uninterrupted run (" + STEPS + " steps, "
                    + route.size() + " migrations across " + nodes.size() + " agents)");
            return true;
        }
        System.out.println("OUTPUT DIFFERS from an uninterrupted run:\n--- expected\n" + expected + "--- got\n" + got);
        return false;
    }

    /** Waits until {@code output} (appended to under its own lock, which is notified) holds {@code lines} lines. */
    static void awaitLines(StringBuilder output, int lines) throws InterruptedException {
        synchronized (output) {
            while (output.chars().filter(ch -> ch == '\n').count() < lines) {
                output.wait(1000);
            }
        }
    }
}
