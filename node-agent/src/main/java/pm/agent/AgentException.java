package pm.agent;

/** A request the agent refuses, with the gRPC status class it maps to at the edge ({@link StatusMapping}). */
public final class AgentException extends RuntimeException {
    /** Why a request was refused; each maps to one gRPC status code. */
    public enum Reason {
        NOT_FOUND,
        WRONG_STATE,
        STALE_EPOCH,
        BAD_REQUEST,
        UNAVAILABLE
    }

    private final Reason reason;

    public AgentException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public AgentException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    public static AgentException notFound(String processId) {
        return new AgentException(Reason.NOT_FOUND, "no process " + processId + " on this agent");
    }

    public static AgentException wrongState(String processId, Object state, String action) {
        return new AgentException(Reason.WRONG_STATE, "process " + processId + " is " + state + ": cannot " + action);
    }
}
