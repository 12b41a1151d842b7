package pm.client;

/** The target's state does not allow the call (thawing a running process, resuming one that is not suspended, spawning an id that exists): {@link ErrorCode#WRONG_STATE}. */
public class WrongStateException extends ClusterClientException {
    public WrongStateException(String description, Throwable cause) {
        super(ErrorCode.WRONG_STATE, description, cause);
    }
}
