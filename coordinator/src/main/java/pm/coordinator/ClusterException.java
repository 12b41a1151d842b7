package pm.coordinator;

/**
 * The coordinator's one domain exception: a reason from a small fixed set and a one-line message
 * saying what went wrong ("node n4 is draining", "no process p7"). {@link ClusterStatus} maps it to a
 * gRPC status once, at the service edge.
 */
public class ClusterException extends RuntimeException {
    /** Why a request failed; each maps to one gRPC status code. */
    public enum Reason {
        BAD_REQUEST, // INVALID_ARGUMENT
        NOT_FOUND, // NOT_FOUND
        WRONG_STATE, // FAILED_PRECONDITION
        ALREADY_EXISTS, // ALREADY_EXISTS: a process with that id exists
        NO_CAPACITY, // RESOURCE_EXHAUSTED
        UNAVAILABLE, // UNAVAILABLE
        CONFLICT // ABORTED: lost a race with another change
    }

    private final Reason reason;

    public ClusterException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ClusterException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    public static ClusterException noProcess(String id) {
        return new ClusterException(Reason.NOT_FOUND, "no process " + id);
    }

    public static ClusterException noNode(String name) {
        return new ClusterException(Reason.NOT_FOUND, "no node " + name);
    }
}
