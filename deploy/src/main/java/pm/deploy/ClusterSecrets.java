package pm.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import pm.agent.store.crypto.ClusterKeys;
import pm.common.security.CertificateAuthority;
import pm.common.security.Role;
import pm.common.security.TlsFiles;
import pm.common.zk.ZooKeeperAccess;

/**
 * What {@code pm certs init} leaves in a directory and what a cluster's parties are given from it:
 * the CA ({@code ca.pem}, {@code ca-key.pem}), the ZooKeeper secret ({@code zookeeper.secret}), the
 * agents' image key ring ({@code cluster.key}), and certificates issued on request. {@link #flags} turns one party's share into daemon flags. Owned by
 * the thread that sets the cluster up.
 */
public final class ClusterSecrets {
    public static final String ZOOKEEPER_SECRET = "zookeeper.secret";
    public static final String IMAGE_KEYS = "cluster.key";

    private final Path dir;
    private final CertificateAuthority ca;

    private ClusterSecrets(Path dir, CertificateAuthority ca) {
        this.dir = dir;
        this.ca = ca;
    }

    /** A new CA and ZooKeeper secret in {@code dir} (which must not hold a CA yet). */
    public static ClusterSecrets init(Path dir) throws IOException {
        CertificateAuthority ca = CertificateAuthority.init(dir, "pm cluster CA");
        ZooKeeperAccess.generate(dir.resolve(ZOOKEEPER_SECRET));
        ClusterKeys.generate(dir.resolve(IMAGE_KEYS));
        return new ClusterSecrets(dir, ca);
    }

    /** The CA and secret {@link #init} left in {@code dir}. */
    public static ClusterSecrets open(Path dir) throws IOException {
        return new ClusterSecrets(dir, CertificateAuthority.open(dir));
    }

    /** A certificate for {@code name} with {@code role} naming {@code sans}, written next to the CA. */
    public TlsFiles issue(Role role, String name, List<String> sans) throws IOException {
        return ca.issue(role, name, sans, dir);
    }

    /** The certificate issued here earlier for {@code name} (a restarted daemon keeps its own), else a new one. */
    public TlsFiles issued(Role role, String name, List<String> sans) throws IOException {
        Path cert = dir.resolve(name + ".pem");
        if (Files.exists(cert)) {
            return new TlsFiles(ca.certificateFile(), cert, dir.resolve(name + "-key.pem"));
        }
        return issue(role, name, sans);
    }

    public Path imageKeys() {
        return dir.resolve(IMAGE_KEYS);
    }

    public Path zookeeperSecret() {
        return dir.resolve(ZOOKEEPER_SECRET);
    }

    public Path dir() {
        return dir;
    }

    /** The flags a daemon presenting {@code files} takes, with the ZooKeeper secret. */
    public List<String> flags(TlsFiles files) {
        List<String> flags = new ArrayList<>(List.of(
                "--ca",
                files.ca().toString(),
                "--cert",
                files.cert().toString(),
                "--key",
                files.key().toString(),
                "--zk-secret",
                zookeeperSecret().toString()));
        return flags;
    }
}
