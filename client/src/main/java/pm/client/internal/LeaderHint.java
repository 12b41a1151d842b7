package pm.client.internal;

import io.grpc.Metadata;
import io.grpc.Status;
import java.util.Optional;

/**
 * Reads what a coordinator's UNAVAILABLE says about the leader. A standby names the leader in the
 * {@code pm-leader} trailer and in its message ("not the leader; the leader is at HOST:PORT"); the message
 * is the fallback for a proxy that drops trailers.
 */
public final class LeaderHint {
    /** The same key as {@code pm.common.cluster.ClusterLayout.LEADER_TRAILER}; the client does not link the agent. */
    public static final Metadata.Key<String> LEADER_TRAILER =
            Metadata.Key.of("pm-leader", Metadata.ASCII_STRING_MARSHALLER);

    private static final String NOT_LEADER = "not the leader";
    private static final String LEADER_AT = "the leader is at ";

    private LeaderHint() {}

    /** The leader's address if {@code status} is a standby's redirect that names one. */
    public static Optional<String> leader(Status status, Metadata trailers) {
        if (status.getCode() != Status.Code.UNAVAILABLE) {
            return Optional.empty();
        }
        String fromTrailer = trailers == null ? null : trailers.get(LEADER_TRAILER);
        if (fromTrailer != null && !fromTrailer.isBlank()) {
            return Optional.of(fromTrailer.strip());
        }
        String d = status.getDescription();
        int at = d == null ? -1 : d.indexOf(LEADER_AT);
        if (at >= 0) {
            String rest = d.substring(at + LEADER_AT.length()).strip();
            int end = 0;
            while (end < rest.length() && !Character.isWhitespace(rest.charAt(end))) {
                end++;
            }
            String address = rest.substring(0, end);
            return address.isEmpty() ? Optional.empty() : Optional.of(address);
        }
        return Optional.empty();
    }

    /** A standby's answer, whether or not it knows the leader yet. */
    public static boolean fromStandby(Status status) {
        String d = status.getDescription();
        return status.getCode() == Status.Code.UNAVAILABLE && d != null && d.startsWith(NOT_LEADER);
    }

    /**
     * The call never got an answer from a coordinator: the channel failed (refused, reset, closed). A
     * status a server sent carries no cause and has a description; one the transport made up has a cause.
     */
    public static boolean transportFailure(Status status) {
        return status.getCode() == Status.Code.UNAVAILABLE
                && (status.getCause() != null || status.getDescription() == null);
    }
}
