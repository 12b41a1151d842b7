package pm.client;

/** The caller's role (for example a viewer's) does not allow the call: {@link ErrorCode#PERMISSION_DENIED}. */
public class PermissionDeniedException extends ClusterClientException {
    public PermissionDeniedException(String description, Throwable cause) {
        super(ErrorCode.PERMISSION_DENIED, description, cause);
    }
}
