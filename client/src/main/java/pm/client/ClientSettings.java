package pm.client;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import pm.common.security.Role;
import pm.common.security.TlsFiles;

/**
 * How a client reaches the cluster: the coordinators to try, in order, the deadlines, and the
 * credentials it presents. {@code callTimeout} bounds every unary call and every finite stream;
 * {@code transferTimeout} bounds an image export or import; follow streams (logs -f, events) have no
 * deadline. Credentials are plaintext until {@link #withTls} or {@link #withCredentials} says
 * otherwise; a cluster started without {@code --insecure} refuses plaintext.
 */
public record ClientSettings(
        List<String> coordinators, Duration callTimeout, Duration transferTimeout, ChannelCredentials credentials) {
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_TRANSFER_TIMEOUT = Duration.ofMinutes(30);

    public ClientSettings {
        coordinators = List.copyOf(coordinators);
        if (coordinators.isEmpty()) {
            throw new IllegalArgumentException("no coordinator address given");
        }
        for (String a : coordinators) {
            int colon = a.lastIndexOf(':');
            if (colon <= 0
                    || colon == a.length() - 1
                    || !a.substring(colon + 1).chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("a coordinator address is HOST:PORT, not '" + a + "'");
            }
        }
        if (callTimeout.isNegative()
                || callTimeout.isZero()
                || transferTimeout.isNegative()
                || transferTimeout.isZero()) {
            throw new IllegalArgumentException("deadlines are positive");
        }
        if (credentials == null) {
            throw new IllegalArgumentException("credentials are required (InsecureChannelCredentials for plaintext)");
        }
    }

    /** Settings with the default deadlines for {@code host:port,host:port}. */
    public static ClientSettings of(String commaSeparated) {
        return new ClientSettings(
                parse(commaSeparated),
                DEFAULT_CALL_TIMEOUT,
                DEFAULT_TRANSFER_TIMEOUT,
                InsecureChannelCredentials.create());
    }

    public static List<String> parse(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    public ClientSettings withCallTimeout(Duration timeout) {
        return new ClientSettings(coordinators, timeout, transferTimeout, credentials);
    }

    public ClientSettings withTransferTimeout(Duration timeout) {
        return new ClientSettings(coordinators, callTimeout, timeout, credentials);
    }

    /** Mutual TLS with an operator or viewer certificate; the files are checked now (one-line errors naming the file). */
    public ClientSettings withTls(Path ca, Path cert, Path key) {
        TlsFiles files = new TlsFiles(ca, cert, key);
        files.checkRole(Instant.now(), Set.of(Role.OPERATOR, Role.VIEWER, Role.NODE));
        return withCredentials(files.channelCredentials());
    }

    /** Credentials of the caller's choosing (its own TLS set-up, say). */
    public ClientSettings withCredentials(ChannelCredentials value) {
        return new ClientSettings(coordinators, callTimeout, transferTimeout, value);
    }
}
