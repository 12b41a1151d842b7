package pm.deploy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import pm.common.security.Role;
import pm.common.security.TlsFiles;

/**
 * {@code pm certs}: the cluster's CA and certificates. {@code init} makes the CA and the ZooKeeper
 * secret; {@code issue} makes a certificate for a node (agents, coordinators), an operator or a viewer.
 */
@Command(
        name = "pm certs",
        mixinStandardHelpOptions = true,
        description = "Makes the cluster CA and issues certificates.",
        subcommands = {CertsMain.Init.class, CertsMain.Issue.class})
public final class CertsMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new CertsMain()).execute(args));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "say init or issue");
    }

    @Command(
            name = "init",
            mixinStandardHelpOptions = true,
            description =
                    "Makes a new CA (ca.pem, ca-key.pem), ZooKeeper secret (zookeeper.secret) and image key ring (cluster.key) in DIR.")
    static final class Init implements Callable<Integer> {
        @Option(names = "--dir", required = true, paramLabel = "DIR")
        Path dir;

        @Override
        public Integer call() throws Exception {
            ClusterSecrets.init(dir);
            System.out.println("CA in " + dir.resolve("ca.pem")
                    + " (its key ca-key.pem: keep it off the cluster's hosts), ZooKeeper secret in "
                    + dir.resolve(ClusterSecrets.ZOOKEEPER_SECRET) + ", agents' image keys in "
                    + dir.resolve(ClusterSecrets.IMAGE_KEYS));
            return 0;
        }
    }

    @Command(
            name = "issue",
            mixinStandardHelpOptions = true,
            description = "Issues NAME.pem and NAME-key.pem, signed by the CA in DIR.")
    static final class Issue implements Callable<Integer> {
        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Where the CA is (pm certs init).")
        Path dir;

        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "node, operator or viewer.")
        String role;

        @Option(
                names = "--name",
                required = true,
                paramLabel = "NAME",
                description = "The node's or person's name (the CN).")
        String name;

        @Option(
                names = "--san",
                paramLabel = "HOST",
                split = ",",
                description = "Host names or IP addresses peers dial this node by (its --advertise); repeatable.")
        List<String> sans = new ArrayList<>();

        @Option(
                names = "--days",
                paramLabel = "N",
                defaultValue = "825",
                description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--out", paramLabel = "DIR", description = "Where to write the files (default: --dir).")
        Path out;

        @Override
        public Integer call() throws Exception {
            Role r;
            try {
                r = Role.of(role);
            } catch (IllegalArgumentException e) {
                System.err.println("pm certs issue: " + e.getMessage());
                return 2;
            }
            if (r == Role.NODE && sans.isEmpty()) {
                System.err.println(
                        "pm certs issue: a node certificate needs --san with the addresses peers dial (its --advertise)");
                return 2;
            }
            Instant now = Instant.now();
            TlsFiles files = pm.common.security.CertificateAuthority.open(dir)
                    .issue(
                            r,
                            name,
                            sans,
                            now.minusSeconds(60),
                            now.plus(Duration.ofDays(days)),
                            out == null ? dir : out);
            System.out.println("issued " + files.cert() + " and " + files.key() + " (role " + r.label() + ")");
            return 0;
        }
    }
}
