package pm.client;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * How a client reaches the cluster: the coordinators to try, in order, and the deadlines. {@code callTimeout}
 * bounds every unary call and every finite stream; {@code transferTimeout} bounds an image export or import;
 * follow streams (logs -f, events) have no deadline.
 */
public record ClientSettings(List<String> coordinators, Duration callTimeout, Duration transferTimeout) {
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_TRANSFER_TIMEOUT = Duration.ofMinutes(30);

    public ClientSettings {
        coordinators = List.copyOf(coordinators);
        if (coordinators.isEmpty()) {
            throw new IllegalArgumentException("no coordinator address given");
        }
        for (String a : coordinators) {
            int colon = a.lastIndexOf(':');
            if (colon <= 0 || colon == a.length() - 1 || !a.substring(colon + 1).chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("a coordinator address is HOST:PORT, not '" + a + "'");
            }
        }
        if (callTimeout.isNegative() || callTimeout.isZero() || transferTimeout.isNegative() || transferTimeout.isZero()) {
            throw new IllegalArgumentException("deadlines are positive");
        }
    }

    /** Settings with the default deadlines for {@code host:port,host:port}. */
    public static ClientSettings of(String commaSeparated) {
        return new ClientSettings(parse(commaSeparated), DEFAULT_CALL_TIMEOUT, DEFAULT_TRANSFER_TIMEOUT);
    }

    public static List<String> parse(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    public ClientSettings withCallTimeout(Duration timeout) {
        return new ClientSettings(coordinators, timeout, transferTimeout);
    }

    public ClientSettings withTransferTimeout(Duration timeout) {
        return new ClientSettings(coordinators, callTimeout, timeout);
    }
}
