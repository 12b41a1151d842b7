package pm.common.cluster;

import io.grpc.Metadata;

/**
 * Where the cluster keeps its state in ZooKeeper (see {@code cluster.proto} for the records) and the
 * gRPC metadata key that carries a process's ownership epoch. Agents and coordinators share it.
 */
public record ClusterLayout(String root) {
    /** Ownership epoch of the process a call is about, as a decimal number. */
    public static final Metadata.Key<String> EPOCH_HEADER =
            Metadata.Key.of("pm-epoch", Metadata.ASCII_STRING_MARSHALLER);
    /** A standby coordinator names the leader in this trailer. */
    public static final Metadata.Key<String> LEADER_TRAILER =
            Metadata.Key.of("pm-leader", Metadata.ASCII_STRING_MARSHALLER);

    public static final ClusterLayout DEFAULT = new ClusterLayout("/pm");

    public ClusterLayout {
        if (!root.startsWith("/") || (root.length() > 1 && root.endsWith("/"))) {
            throw new IllegalArgumentException("a ZooKeeper root is an absolute path without a trailing '/': " + root);
        }
    }

    public String nodes() {
        return root + "/nodes";
    }

    public String node(String name) {
        return nodes() + "/" + name;
    }

    public String drainingNodes() {
        return root + "/draining";
    }

    public String draining(String name) {
        return drainingNodes() + "/" + name;
    }

    public String processes() {
        return root + "/processes";
    }

    public String process(String id) {
        return processes() + "/" + id;
    }

    public String migrations() {
        return root + "/migrations";
    }

    public String migration(String id) {
        return migrations() + "/" + id;
    }

    public String requests() {
        return root + "/requests";
    }

    public String request(String key) {
        return requests() + "/" + key;
    }

    public String leader() {
        return root + "/leader";
    }

    /** The kept cluster events, one persistent sequential node each. */
    public String events() {
        return root + "/events";
    }
}
