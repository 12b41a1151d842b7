package pm.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.apache.zookeeper.server.embedded.ZooKeeperServerEmbedded;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import pm.common.cli.DaemonLauncher;
import pm.common.cluster.ParentWatch;

/**
 * {@code pm zookeeper}: an embedded ZooKeeper server — alone, for a one-node install and the local
 * cluster, or one server of an ensemble ({@code --server-id} and a {@code --peer} per server, the
 * {@code server.N} lines of ZooKeeper's own configuration). Prints {@code zookeeper listening on
 * ADDR:PORT} once it has started (an ensemble's server serves once a quorum has formed). Its exit
 * handler only logs, so a ZooKeeper error cannot end the JVM behind the caller's back;
 * {@code --exit-with-stdin} ties its life to the parent's pipe.
 */
@Command(
        name = "pm zookeeper",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Runs an embedded ZooKeeper server: alone, or one server of an ensemble.")
public final class EmbeddedZooKeeperMain implements Callable<Integer> {
    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "Settings file: the long flags without dashes as keys.")
    Path config;

    @Option(
            names = "--data",
            required = true,
            paramLabel = "DIR",
            description = "Where ZooKeeper keeps its snapshots and log.")
    Path data;

    @Option(
            names = "--bind",
            paramLabel = "ADDR",
            defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(
            names = "--port",
            paramLabel = "P",
            defaultValue = "2181",
            description = "Client port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--server-id",
            paramLabel = "N",
            defaultValue = "0",
            description = "This server's id in an ensemble; 0 (the default) runs it alone.")
    int serverId;

    @Option(
            names = "--peer",
            paramLabel = "N=HOST:PEER_PORT:ELECTION_PORT",
            description = "A server of the ensemble, this one included (one flag per server).")
    java.util.Map<Integer, String> peers = new java.util.TreeMap<>();

    @Option(names = "--exit-with-stdin", hidden = true, description = "Exit when standard input closes.")
    boolean exitWithStdin;

    public static void main(String[] args) {
        int code = DaemonLauncher.run("pm zookeeper", new EmbeddedZooKeeperMain(), args, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** In an ensemble: its servers, the ticks a follower may take, and this server's id where ZooKeeper reads it. */
    private void ensemble(Properties settings) throws java.io.IOException {
        if (serverId == 0 && peers.isEmpty()) {
            return;
        }
        if (!peers.containsKey(serverId)) {
            throw new IllegalArgumentException(
                    "--server-id " + serverId + " is not one of the --peer ids " + peers.keySet());
        }
        if (peers.size() < 3) {
            throw new IllegalArgumentException(
                    "an ensemble needs at least three servers (--peer), got " + peers.size());
        }
        peers.forEach((id, peer) -> settings.setProperty("server." + id, peer));
        settings.setProperty("initLimit", "20");
        settings.setProperty("syncLimit", "10");
        Path dataDir = data.resolve("data"); // where the embedded server keeps its data, and ZooKeeper looks for myid
        Files.createDirectories(dataDir);
        Files.writeString(dataDir.resolve("myid"), Integer.toString(serverId));
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(data);
        Properties settings = new Properties();
        settings.setProperty("clientPort", Integer.toString(port));
        settings.setProperty("clientPortAddress", bind);
        settings.setProperty("tickTime", "500");
        settings.setProperty("admin.enableServer", "false");
        settings.setProperty("4lw.commands.whitelist", "ruok,stat,srvr,mntr");
        ensemble(settings);
        ZooKeeperServerEmbedded server = ZooKeeperServerEmbedded.builder()
                .baseDir(data)
                .configuration(settings)
                .exitHandler(ExitHandler.LOG_ONLY)
                .build();
        try {
            server.start(30_000);
        } catch (Exception e) {
            // The exit handler only logs; a server that did not start must not leave a JVM that serves nothing.
            server.close();
            throw new IllegalStateException(
                    "ZooKeeper did not start on " + bind + ":" + port + ": " + e.getMessage(), e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "pm-zookeeper-shutdown"));
        System.out.println("zookeeper listening on " + new pm.common.net.HostPort(bind, server.getClientPort()));
        System.out.flush();
        if (exitWithStdin) {
            ParentWatch.exitWhenStdinCloses();
        }
        Thread.currentThread().join();
        return 0;
    }
}
