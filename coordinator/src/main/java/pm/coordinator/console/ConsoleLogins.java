package pm.coordinator.console;

import pm.common.security.Identity;
import pm.coordinator.ClusterException;
import pm.v1.ConsoleLoginResponse;

/** Where the Cluster API's {@code ConsoleLogin} gets a one-time URL: the console, or {@link #OFF} when it is not served. */
public interface ConsoleLogins {
    /** For a coordinator started without a console port. */
    ConsoleLogins OFF = (caller, role) -> {
        throw new ClusterException(
                ClusterException.Reason.WRONG_STATE,
                "this coordinator serves no web console; start it with --console-port (see docs/console.md)");
    };

    /**
     * A login URL for {@code caller} (null without TLS: then anyone may ask, as for every call) with {@code role}
     * ("" for the caller's own; a caller may step down to viewer, never up).
     */
    ConsoleLoginResponse issue(Identity caller, String role);
}
