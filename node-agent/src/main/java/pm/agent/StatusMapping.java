package pm.agent;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import pm.runtime.InvalidModuleException;
import pm.runtime.LimitExceededException;
import pm.runtime.LinkException;
import pm.runtime.MalformedModuleException;
import pm.runtime.StateFormatException;
import pm.runtime.StateMismatchException;

/** The one place where domain errors become gRPC statuses. */
public final class StatusMapping {
    private StatusMapping() {}

    public static StatusRuntimeException toStatus(Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        Status status;
        if (e instanceof AgentException a) {
            status = switch (a.reason()) {
                case NOT_FOUND -> Status.NOT_FOUND;
                case WRONG_STATE -> Status.FAILED_PRECONDITION;
                case STALE_EPOCH -> Status.ABORTED;
                case BAD_REQUEST -> Status.INVALID_ARGUMENT;
                case UNAVAILABLE -> Status.UNAVAILABLE;
            };
        } else if (e instanceof MalformedModuleException || e instanceof InvalidModuleException) {
            status = Status.INVALID_ARGUMENT.withDescription("bad module: " + e.getMessage());
            return status.asRuntimeException();
        } else if (e instanceof LinkException) {
            status = Status.INVALID_ARGUMENT.withDescription("module cannot be linked: " + e.getMessage());
            return status.asRuntimeException();
        } else if (e instanceof LimitExceededException) {
            status = Status.RESOURCE_EXHAUSTED;
        } else if (e instanceof StateFormatException) {
            status = Status.DATA_LOSS.withDescription("corrupt image: " + e.getMessage());
            return status.asRuntimeException();
        } else if (e instanceof StateMismatchException) {
            status = Status.FAILED_PRECONDITION;
        } else if (e instanceof pm.agent.store.CorruptCheckpointException) {
            status = Status.DATA_LOSS; // sealed data that failed authentication too (TamperedDataException)
        } else if (e instanceof pm.agent.store.crypto.UnknownKeyException) {
            status = Status.FAILED_PRECONDITION; // intact perhaps, but this agent lacks the key the message names
        } else if (e instanceof pm.agent.store.CheckpointNotFoundException) {
            status = Status.NOT_FOUND;
        } else if (e instanceof pm.agent.store.MissingBaseException) {
            status = Status.FAILED_PRECONDITION;
        } else if (e instanceof pm.agent.store.BlobStore.BlobMismatchException) {
            status = Status.INVALID_ARGUMENT; // the upload is not what its header declared
        } else if (e instanceof IllegalArgumentException) {
            status = Status.INVALID_ARGUMENT;
        } else if (e instanceof IOException) {
            status = Status.UNAVAILABLE;
        } else {
            status = Status.INTERNAL;
        }
        return status.withDescription(e.getMessage()).withCause(e).asRuntimeException();
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof java.util.concurrent.CompletionException
                        || e instanceof java.util.concurrent.ExecutionException)
                && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
