package pm.common.zk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.apache.curator.RetryPolicy;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;

/**
 * How the cluster's members open ZooKeeper: with a shared secret (the {@code digest} scheme, user
 * {@code pm}), every znode they create is readable and writable by members only
 * ({@code CREATOR_ALL_ACL}); a client without the secret can neither read an ownership record nor
 * change or delete one. Digest rather than x509 because it works with any ensemble, embedded or not,
 * without a TLS set-up on each ZooKeeper server; the secret crosses the wire in the clear unless the
 * ensemble's client port is TLS, so run ZooKeeper on a private network or with its TLS port.
 * {@link #OPEN} (no secret) is for {@code --insecure} clusters and tests. Immutable.
 */
public final class ZooKeeperAccess {
    public static final ZooKeeperAccess OPEN = new ZooKeeperAccess(null);
    private static final String USER = "pm";

    private final String secret;

    private ZooKeeperAccess(String secret) {
        this.secret = secret;
    }

    public static ZooKeeperAccess withSecret(String secret) {
        if (secret.isBlank() || secret.contains(":") || secret.contains("\n")) {
            throw new IllegalArgumentException("a ZooKeeper secret is one line without ':'");
        }
        return new ZooKeeperAccess(secret);
    }

    /** The secret kept in {@code file} (its first line); a one-line error naming the file otherwise. */
    public static ZooKeeperAccess fromFile(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                throw new IllegalArgumentException(
                        file + ": empty; expected one line with the cluster's ZooKeeper secret");
            }
            return withSecret(lines.get(0).strip());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such ZooKeeper secret file");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the ZooKeeper secret: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    e.getMessage().startsWith(file.toString()) ? e.getMessage() : file + ": " + e.getMessage());
        }
    }

    /** Writes a new random secret to {@code file}, readable by its owner only. */
    public static void generate(Path file) throws IOException {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.deleteIfExists(file);
        Files.createFile(file);
        if (Files.getFileAttributeView(file, java.nio.file.attribute.PosixFileAttributeView.class) != null) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        Files.writeString(file, Base64.getUrlEncoder().withoutPadding().encodeToString(bytes) + "\n");
    }

    public boolean isProtected() {
        return secret != null;
    }

    /** What seals secrets inside records, or null for an open cluster (records hold them in the clear there). */
    public RecordSeal recordSeal() {
        return secret == null ? null : new RecordSeal(secret);
    }

    /** A Curator client (not started) that authenticates as a member and creates member-only znodes. */
    public CuratorFramework newClient(
            String connect, int sessionTimeoutMillis, int connectionTimeoutMillis, RetryPolicy retry) {
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(sessionTimeoutMillis)
                .connectionTimeoutMs(connectionTimeoutMillis)
                .retryPolicy(retry);
        if (secret != null) {
            builder.authorization("digest", (USER + ":" + secret).getBytes(StandardCharsets.UTF_8))
                    .aclProvider(new ACLProvider() {
                        @Override
                        public List<ACL> getDefaultAcl() {
                            return ZooDefs.Ids.CREATOR_ALL_ACL;
                        }

                        @Override
                        public List<ACL> getAclForPath(String path) {
                            return ZooDefs.Ids.CREATOR_ALL_ACL;
                        }
                    });
        }
        return builder.build();
    }
}
