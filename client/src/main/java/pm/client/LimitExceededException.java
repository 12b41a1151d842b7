package pm.client;

/** A limit was hit: no node has room for the process, or one of its limits ran out: {@link ErrorCode#LIMIT_EXCEEDED}. */
public class LimitExceededException extends ClusterClientException {
    public LimitExceededException(String description, Throwable cause) {
        super(ErrorCode.LIMIT_EXCEEDED, description, cause);
    }
}
