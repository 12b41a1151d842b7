package pm.client;

/**
 * A call the cluster refused or could not complete: a pm {@link ErrorCode} and the server's one-line
 * message (for example {@code no process p9}). {@link #getMessage()} adds the code in parentheses, the
 * form {@code pmctl} prints. The root of the SDK's exceptions; the subclasses name the codes callers
 * branch on, so {@code catch (NotFoundException e)} and {@code e.code() == ErrorCode.NOT_FOUND} agree.
 */
public class ClusterClientException extends RuntimeException {
    private final ErrorCode code;
    private final String description;

    public ClusterClientException(ErrorCode code, String description, Throwable cause) {
        super(description + " (" + code + ")", cause);
        this.code = java.util.Objects.requireNonNull(code, "code");
        this.description = description;
    }

    /** Why the call failed. */
    public ErrorCode code() {
        return code;
    }

    /** The server's message alone, without the code. */
    public String description() {
        return description;
    }
}
