package pm.client;

import io.grpc.Status;

/**
 * A call the cluster refused or could not complete: the gRPC status code and the server's one-line
 * message (for example {@code no process p9}). {@link #getMessage()} adds the code in parentheses, the
 * form {@code pmctl} prints. The root of the SDK's exceptions.
 */
public class ClusterClientException extends RuntimeException {
    private final Status.Code code;
    private final String description;

    public ClusterClientException(Status.Code code, String description, Throwable cause) {
        super(description + " (" + code + ")", cause);
        this.code = code;
        this.description = description;
    }

    /** The exception a call that ended with {@code status} raises; the status's cause is kept. */
    public static ClusterClientException from(Status status) {
        return new ClusterClientException(status.getCode(), oneLine(status), status.getCause());
    }

    public Status.Code code() {
        return code;
    }

    /** The server's message alone, without the code. */
    public String description() {
        return description;
    }

    static String oneLine(Status status) {
        String d = status.getDescription();
        if (d == null || d.isBlank()) {
            return status.getCause() != null && status.getCause().getMessage() != null
                    ? status.getCause().getMessage().lines().findFirst().orElse(status.getCode().name())
                    : status.getCode().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
        }
        return d.lines().findFirst().orElse(d).strip();
    }
}
