package pm.coordinator.agent;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.function.Supplier;

/** Runs one agent call; a failure keeps the agent's status code and names the node in its message. */
public final class AgentCall {
    private AgentCall() {}

    public static <T> T on(String node, Supplier<T> call) {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            throw named(node, e);
        }
    }

    public static StatusRuntimeException named(String node, StatusRuntimeException e) {
        Status s = e.getStatus();
        String what = s.getDescription() == null ? s.getCode().toString() : s.getDescription();
        return s.withDescription("node " + node + ": " + what).asRuntimeException(e.getTrailers());
    }

    /** True for the code of a call that may work later or elsewhere: the agent is down or slow. */
    public static boolean unreachable(StatusRuntimeException e) {
        Status.Code c = e.getStatus().getCode();
        return c == Status.Code.UNAVAILABLE || c == Status.Code.DEADLINE_EXCEEDED;
    }

    public static boolean notFound(StatusRuntimeException e) {
        return e.getStatus().getCode() == Status.Code.NOT_FOUND;
    }
}
