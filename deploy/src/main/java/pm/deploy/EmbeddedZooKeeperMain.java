package pm.deploy;

import pm.agent.cluster.ParentWatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Properties;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.apache.zookeeper.server.embedded.ZooKeeperServerEmbedded;

/**
 * A single ZooKeeper server in its own JVM, for the one-machine default:
 * {@code EmbeddedZooKeeperMain --data DIR [--port P] [--exit-with-stdin]}. Prints
 * {@code zookeeper listening on 127.0.0.1:PORT} once it serves. Its exit handler only logs, so a
 * ZooKeeper error cannot end the JVM behind the caller's back; {@code --exit-with-stdin} ties its
 * life to the parent's pipe.
 */
public final class EmbeddedZooKeeperMain {
    private EmbeddedZooKeeperMain() {}

    public static void main(String[] args) throws Exception {
        Path data = null;
        int port = 2181;
        boolean exitWithStdin = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = Paths.get(args[++i]);
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--exit-with-stdin" -> exitWithStdin = true;
                default -> usage("unknown option " + args[i]);
            }
        }
        if (data == null) {
            usage("--data is required");
        }
        Files.createDirectories(data);
        Properties config = new Properties();
        config.setProperty("clientPort", Integer.toString(port));
        config.setProperty("clientPortAddress", "127.0.0.1");
        config.setProperty("tickTime", "500");
        config.setProperty("admin.enableServer", "false");
        config.setProperty("4lw.commands.whitelist", "ruok,stat,mntr");
        ZooKeeperServerEmbedded server = ZooKeeperServerEmbedded.builder()
                .baseDir(data)
                .configuration(config)
                .exitHandler(ExitHandler.LOG_ONLY)
                .build();
        server.start(30_000);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "pm-zookeeper-shutdown"));
        System.out.println("zookeeper listening on 127.0.0.1:" + server.getClientPort());
        System.out.flush();
        if (exitWithStdin) {
            ParentWatch.exitWhenStdinCloses();
        }
        Thread.currentThread().join();
    }

    private static void usage(String problem) {
        System.err.println("zookeeper: " + problem);
        System.err.println("usage: EmbeddedZooKeeperMain --data DIR [--port P] [--exit-with-stdin]");
        System.exit(2);
    }
}
