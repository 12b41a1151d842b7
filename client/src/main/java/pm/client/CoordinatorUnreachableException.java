package pm.client;

import java.util.List;

/**
 * No coordinator in the list answered as the leader or named one that did: all were down, or none is
 * elected yet. Distinct from a refusal, because a caller (pmctl's exit code 3) treats "cannot ask" and
 * "was told no" differently.
 */
public final class CoordinatorUnreachableException extends UnavailableException {
    private final List<String> tried;

    /** {@code reason} is the last failure's own words, for example {@code Connection refused: /127.0.0.1:7700}. */
    public CoordinatorUnreachableException(List<String> tried, String reason, Throwable cause) {
        super("cannot reach a leading coordinator (tried " + String.join(", ", tried) + "): " + reason, cause);
        this.tried = List.copyOf(tried);
    }

    /** The coordinators' addresses asked, in order. */
    public List<String> tried() {
        return tried;
    }
}
