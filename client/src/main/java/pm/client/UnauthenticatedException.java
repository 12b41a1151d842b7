package pm.client;

/** The cluster wants a client certificate issued by its CA and the call offered none it accepts: {@link ErrorCode#UNAUTHENTICATED}. */
public class UnauthenticatedException extends ClusterClientException {
    public UnauthenticatedException(String description, Throwable cause) {
        super(ErrorCode.UNAUTHENTICATED, description, cause);
    }
}
