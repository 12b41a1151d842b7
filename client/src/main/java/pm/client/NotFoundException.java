package pm.client;

/** No process, node, checkpoint or file of the name the call gave: {@link ErrorCode#NOT_FOUND}. */
public class NotFoundException extends ClusterClientException {
    public NotFoundException(String description, Throwable cause) {
        super(ErrorCode.NOT_FOUND, description, cause);
    }
}
