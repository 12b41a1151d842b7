package pm.common.security;

import java.util.Locale;

/**
 * What a certificate lets its holder do, written in its subject's OU by the cluster CA: {@code node}
 * (agents and coordinators talking to each other), {@code operator} (all of the Cluster API),
 * {@code viewer} (its reads).
 */
public enum Role {
    NODE,
    OPERATOR,
    VIEWER;

    /** The name as it appears in a certificate and on the command line. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role named {@code label}; an {@link IllegalArgumentException} naming the choices otherwise. */
    public static Role of(String label) {
        for (Role r : values()) {
            if (r.label().equals(label)) {
                return r;
            }
        }
        throw new IllegalArgumentException("a role is node, operator or viewer, not '" + label + "'");
    }
}
