package pm.coordinator.console;

import java.time.Instant;
import pm.common.security.Identity;

/** One browser's login: who it acts as (name and role), the token its forms must carry, and when it ends. */
public record ConsoleSession(String id, Identity identity, String csrf, Instant expires) {
    public ConsoleSession {
        if (id.isEmpty() || csrf.isEmpty()) {
            throw new IllegalArgumentException("a console session has an id and a CSRF token");
        }
    }
}
