package pm.client;

/** The target's state does not allow the call (thawing a running process, resuming one that is not suspended): {@link ErrorCode#WRONG_STATE}. */
public class WrongStateException extends ClusterClientException {
    public WrongStateException(String description, Throwable cause) {
        super(ErrorCode.WRONG_STATE, description, cause);
    }

    /** For the kinds of wrong state that have a code of their own ({@link AlreadyExistsException}). */
    protected WrongStateException(ErrorCode code, String description, Throwable cause) {
        super(code, description, cause);
    }
}
