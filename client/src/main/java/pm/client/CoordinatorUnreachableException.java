package pm.client;

import io.grpc.Status;
import java.util.List;

/**
 * No coordinator in the list answered as the leader or named one that did: all were down, or none is
 * elected yet. Distinct from a refusal, because a caller (pmctl's exit code 3) treats "cannot ask" and
 * "was told no" differently.
 */
public final class CoordinatorUnreachableException extends ClusterClientException {
    public CoordinatorUnreachableException(List<String> tried, Status last) {
        super(Status.Code.UNAVAILABLE, "cannot reach a leading coordinator (tried " + String.join(", ", tried) + "): "
                + reason(last), last.getCause());
    }

    /** A transport failure's own words ("Connection refused: /127.0.0.1:7700") say more than its status ("io exception"). */
    private static String reason(Status last) {
        Throwable cause = last.getCause();
        while (cause != null && cause.getCause() != null && cause.getMessage() == null) {
            cause = cause.getCause();
        }
        return cause != null && cause.getMessage() != null ? cause.getMessage().lines().findFirst().orElse("") : oneLine(last);
    }
}
