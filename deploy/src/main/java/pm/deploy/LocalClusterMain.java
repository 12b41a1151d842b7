package pm.deploy;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import pm.client.cli.ClientConfig;
import pm.common.cli.DaemonLauncher;
import pm.common.security.TlsFiles;

/**
 * {@code ./pm dev}: runs the local cluster (ZooKeeper, one coordinator, agents) until interrupted, for
 * pmctl and the SDK to talk to. Secure like any install (a throw-away CA under the directory), and it
 * leaves pmctl a config naming the coordinator and an operator certificate, so {@code ./pmctl ps} on
 * this machine needs no flags. The coordinator serves the web console ({@code ./pmctl console} prints a login URL).
 */
@Command(
        name = "pm dev",
        mixinStandardHelpOptions = true,
        description = "Runs a local cluster for pmctl and the SDK (Ctrl-C stops it).")
public final class LocalClusterMain implements Callable<Integer> {
    @Option(
            names = "--dir",
            paramLabel = "DIR",
            defaultValue = "target/pm-dev",
            description = "Logs, data and certificates (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(
            names = "--port",
            paramLabel = "P",
            defaultValue = "7700",
            description = "The coordinator's port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--agents",
            paramLabel = "N",
            defaultValue = "3",
            description = "How many agents (default: ${DEFAULT-VALUE}).")
    int agents;

    @Option(
            names = "--console-port",
            paramLabel = "P",
            defaultValue = "7701",
            description =
                    "The web console's port (default: ${DEFAULT-VALUE}; -1: no console). ./pmctl console prints a login URL.")
    int consolePort;

    @Option(names = "--insecure", description = "Plaintext and an open ZooKeeper (prints a warning).")
    boolean insecure;

    public static void main(String[] args) {
        System.exit(DaemonLauncher.run("pm dev", new LocalClusterMain(), args, System.err));
    }

    @Override
    public Integer call() throws Exception {
        List<String> coordinatorArgs = List.of("--console-port", Integer.toString(consolePort));
        LocalCluster cluster = insecure
                ? new LocalCluster(dir, List.of(), coordinatorArgs).insecure()
                : new LocalCluster(dir, List.of(), coordinatorArgs);
        if (insecure) {
            System.err.println(
                    "WARNING: pm dev --insecure: plaintext, and anyone who can reach its ports may act on the cluster");
        }
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                cluster.close();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "pm-dev-shutdown"));
        cluster.start(List.of(port), agents);
        TlsFiles operator = cluster.operatorFiles();
        Path config = operator == null
                ? ClientConfig.write(System.getenv(), cluster.coordinatorAddresses(), null, null, null)
                : ClientConfig.write(
                        System.getenv(),
                        cluster.coordinatorAddresses(),
                        operator.ca(),
                        operator.cert(),
                        operator.key());
        System.out.println("zookeeper    " + cluster.zookeeperAddress());
        System.out.println(
                "coordinator  " + cluster.coordinatorAddresses() + (insecure ? " (plaintext)" : " (mutual TLS)"));
        for (ChildJvm a : cluster.agents()) {
            System.out.println("agent " + a.name() + "     " + a.address());
        }
        if (consolePort >= 0) {
            System.out.println("web console  " + (insecure ? "http" : "https") + "://127.0.0.1:" + consolePort
                    + "/   (log in with the URL ./pmctl console prints)");
        }
        if (operator != null) {
            System.out.println(
                    "CA and certificates under " + operator.ca().getParent().toAbsolutePath());
        }
        System.out.println("pmctl's config: " + config + "; try: ./pmctl nodes   (Ctrl-C stops the cluster)");
        System.out.println("logs and data under " + dir.toAbsolutePath());
        Thread.currentThread().join();
        return 0;
    }
}
