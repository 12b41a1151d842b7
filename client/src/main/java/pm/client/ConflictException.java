package pm.client;

/** The call lost a race with another change to the same process; asking again may succeed: {@link ErrorCode#CONFLICT}. */
public class ConflictException extends ClusterClientException {
    public ConflictException(String description, Throwable cause) {
        super(ErrorCode.CONFLICT, description, cause);
    }
}
