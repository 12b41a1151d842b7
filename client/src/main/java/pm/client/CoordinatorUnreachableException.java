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
                + oneLine(last), last.getCause());
    }
}
