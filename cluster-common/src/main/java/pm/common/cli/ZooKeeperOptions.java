package pm.common.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import pm.common.net.GrpcTransport;
import pm.common.security.SecurityConfigException;
import pm.common.zk.ZooKeeperAccess;

/** The flags agents and coordinators have for the cluster's ZooKeeper (a picocli mixin). */
public final class ZooKeeperOptions {
    @Option(names = "--zookeeper", paramLabel = "HOST:PORT,...", description = "The cluster's ZooKeeper ensemble.")
    String zookeeper;

    @Option(
            names = "--zk-root",
            paramLabel = "PATH",
            defaultValue = "/pm",
            description = "The cluster's ZooKeeper root (default: ${DEFAULT-VALUE}).")
    String root;

    @Option(
            names = "--zk-secret",
            paramLabel = "FILE",
            description =
                    "The cluster's ZooKeeper secret (pm certs init makes one): znodes only members can read or change.")
    Path secret;

    /** The connect string, or null when none was given. */
    public String zookeeper() {
        return zookeeper;
    }

    public String root() {
        return root;
    }

    /** How to open ZooKeeper: a secure daemon needs the secret, an insecure one may go without. */
    public ZooKeeperAccess access(GrpcTransport transport) {
        if (secret != null) {
            return ZooKeeperAccess.fromFile(secret);
        }
        if (transport.isSecure()) {
            throw new SecurityConfigException(
                    "--zk-secret is required with --zookeeper (pm certs init makes one), or --insecure");
        }
        return ZooKeeperAccess.OPEN;
    }
}
