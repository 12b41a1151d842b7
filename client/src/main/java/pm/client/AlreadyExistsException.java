package pm.client;

/** A process with that id exists already (a spawn of a taken id): {@link ErrorCode#ALREADY_EXISTS}. */
public class AlreadyExistsException extends WrongStateException {
    public AlreadyExistsException(String description, Throwable cause) {
        super(ErrorCode.ALREADY_EXISTS, description, cause);
    }
}
