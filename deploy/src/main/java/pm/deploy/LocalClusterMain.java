package pm.deploy;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/**
 * {@code ./pm dev}: runs the local cluster (ZooKeeper, one coordinator on port 7700 unless
 * {@code --port} says otherwise, three agents) until interrupted, for pmctl and the SDK to talk to:
 * {@code LocalClusterMain [--dir DIR] [--port P] [--agents N]}.
 */
public final class LocalClusterMain {
    private LocalClusterMain() {}

    public static void main(String[] args) throws Exception {
        Path dir = Paths.get("target", "pm-dev");
        int port = 7700;
        int agents = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> dir = Paths.get(args[++i]);
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--agents" -> agents = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: ./pm dev [--dir DIR] [--port P] [--agents N]");
                    System.exit(2);
                }
            }
        }
        LocalCluster cluster = new LocalCluster(dir);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                cluster.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "pm-dev-shutdown"));
        cluster.start(List.of(port), agents);
        System.out.println("zookeeper    " + cluster.zookeeperAddress());
        System.out.println("coordinator  " + cluster.coordinatorAddresses());
        for (ChildJvm a : cluster.agents()) {
            System.out.println("agent " + a.name() + "     " + a.address());
        }
        System.out.println("logs and data under " + dir.toAbsolutePath() + "; try: ./pmctl nodes   (Ctrl-C stops the cluster)");
        Thread.currentThread().join();
    }
}
