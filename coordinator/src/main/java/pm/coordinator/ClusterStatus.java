package pm.coordinator;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.zookeeper.KeeperException;

/**
 * The one place where the coordinator's errors become gRPC statuses. An agent's status passes
 * through unchanged (its message already names the node where that helps, see
 * {@link pm.coordinator.agent.AgentCall}).
 */
public final class ClusterStatus {
    private ClusterStatus() {}

    public static StatusRuntimeException toStatus(Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        if (e instanceof ClusterException c) {
            Status status = switch (c.reason()) {
                case BAD_REQUEST -> Status.INVALID_ARGUMENT;
                case NOT_FOUND -> Status.NOT_FOUND;
                case WRONG_STATE -> Status.FAILED_PRECONDITION;
                case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
                case NO_CAPACITY -> Status.RESOURCE_EXHAUSTED;
                case UNAVAILABLE -> Status.UNAVAILABLE;
                case CONFLICT -> Status.ABORTED;
            };
            return status.withDescription(c.getMessage()).withCause(c).asRuntimeException();
        }
        if (e instanceof KeeperException.BadVersionException || e instanceof KeeperException.NodeExistsException) {
            return Status.ABORTED
                    .withDescription("lost a race with another change: " + e.getMessage())
                    .withCause(e)
                    .asRuntimeException();
        }
        if (e instanceof KeeperException || e instanceof InterruptedException) {
            return Status.UNAVAILABLE
                    .withDescription("ZooKeeper: " + e.getMessage())
                    .withCause(e)
                    .asRuntimeException();
        }
        if (e instanceof IllegalArgumentException) {
            return Status.INVALID_ARGUMENT
                    .withDescription(e.getMessage())
                    .withCause(e)
                    .asRuntimeException();
        }
        return Status.INTERNAL
                .withDescription(String.valueOf(e.getMessage()))
                .withCause(e)
                .asRuntimeException();
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
