package pm.coordinator.console;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import pm.common.security.Identity;
import pm.coordinator.ClusterException;

/**
 * The console's one-time login tokens and the sessions they open, in this coordinator's memory only
 * (a new leader asks for a new login). A token is issued to an authenticated Cluster API caller, names
 * that caller's identity, lives {@link #LOGIN_VALID} and is redeemed at most once; the session it
 * opens lives {@link #SESSION_VALID}. Secrets are 256 random bits. Both maps are concurrent: the gRPC
 * threads issue, the HTTP threads redeem and look up.
 */
public final class ConsoleSessions {
    public static final Duration LOGIN_VALID = Duration.ofMinutes(2);
    public static final Duration SESSION_VALID = Duration.ofHours(8);
    /** Outstanding logins and sessions each: a caller asking in a loop cannot grow the coordinator's heap for ever. */
    private static final int MAX_ENTRIES = 10_000;

    /** A login token not yet redeemed. */
    public record Login(String token, Identity identity, Instant expires) {}

    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Login> logins = new ConcurrentHashMap<>();
    private final Map<String, ConsoleSession> sessions = new ConcurrentHashMap<>();

    public ConsoleSessions(Clock clock) {
        this.clock = clock;
    }

    /** A new one-time token for {@code identity}. */
    public Login issue(Identity identity) {
        sweep();
        if (logins.size() >= MAX_ENTRIES) {
            throw new ClusterException(
                    ClusterException.Reason.NO_CAPACITY,
                    "too many console logins outstanding; try again in " + LOGIN_VALID.toMinutes() + " minutes");
        }
        Login login = new Login(secret(), identity, clock.instant().plus(LOGIN_VALID));
        logins.put(login.token(), login);
        return login;
    }

    /** The session {@code token} opens, once: a used, expired or unknown token opens none. */
    public Optional<ConsoleSession> redeem(String token) {
        Login login = token == null ? null : logins.remove(token);
        if (login == null || !clock.instant().isBefore(login.expires())) {
            return Optional.empty();
        }
        sweep();
        if (sessions.size() >= MAX_ENTRIES) {
            return Optional.empty();
        }
        ConsoleSession session = new ConsoleSession(
                secret(), login.identity(), secret(), clock.instant().plus(SESSION_VALID));
        sessions.put(session.id(), session);
        return Optional.of(session);
    }

    /** The live session with this id, if any. */
    public Optional<ConsoleSession> find(String id) {
        ConsoleSession session = id == null ? null : sessions.get(id);
        if (session == null) {
            return Optional.empty();
        }
        if (!clock.instant().isBefore(session.expires())) {
            sessions.remove(id);
            return Optional.empty();
        }
        return Optional.of(session);
    }

    public void end(String id) {
        if (id != null) {
            sessions.remove(id);
        }
    }

    private void sweep() {
        Instant now = clock.instant();
        logins.values().removeIf(l -> !now.isBefore(l.expires()));
        sessions.values().removeIf(s -> !now.isBefore(s.expires()));
    }

    private String secret() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
