package pm.client;

/**
 * A coordinator, an agent or ZooKeeper could not be reached or was not ready, so the call did not complete;
 * usually worth retrying ({@link ErrorCode#UNAVAILABLE}). {@link CoordinatorUnreachableException} is the
 * case where no coordinator could even be asked.
 */
public class UnavailableException extends ClusterClientException {
    public UnavailableException(String description, Throwable cause) {
        super(ErrorCode.UNAVAILABLE, description, cause);
    }
}
