package pm.client;

/** The request is wrong whatever the cluster's state: a bad module, spec, path or option: {@link ErrorCode#INVALID_ARGUMENT}. */
public class InvalidRequestException extends ClusterClientException {
    public InvalidRequestException(String description, Throwable cause) {
        super(ErrorCode.INVALID_ARGUMENT, description, cause);
    }
}
