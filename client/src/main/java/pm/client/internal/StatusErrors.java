package pm.client.internal;

import io.grpc.Status;
import java.util.List;
import java.util.Locale;
import pm.client.AlreadyExistsException;
import pm.client.ClusterClientException;
import pm.client.ConflictException;
import pm.client.CoordinatorUnreachableException;
import pm.client.ErrorCode;
import pm.client.InvalidRequestException;
import pm.client.LimitExceededException;
import pm.client.NotFoundException;
import pm.client.PermissionDeniedException;
import pm.client.UnauthenticatedException;
import pm.client.UnavailableException;
import pm.client.WrongStateException;

/**
 * The one place where a gRPC status becomes the SDK's typed exception, so the public exceptions never
 * name a gRPC type. The status itself stays reachable as the exception's cause.
 */
public final class StatusErrors {
    private StatusErrors() {}

    /** The exception a call that ended with {@code status} raises. */
    public static ClusterClientException toException(Status status) {
        String description = oneLine(status);
        Throwable cause = status.asRuntimeException();
        return switch (code(status.getCode())) {
            case NOT_FOUND -> new NotFoundException(description, cause);
            case WRONG_STATE -> new WrongStateException(description, cause);
            case ALREADY_EXISTS -> new AlreadyExistsException(description, cause);
            case CONFLICT -> new ConflictException(description, cause);
            case INVALID_ARGUMENT -> new InvalidRequestException(description, cause);
            case LIMIT_EXCEEDED -> new LimitExceededException(description, cause);
            case UNAUTHENTICATED -> new UnauthenticatedException(description, cause);
            case PERMISSION_DENIED -> new PermissionDeniedException(description, cause);
            case UNAVAILABLE -> new UnavailableException(description, cause);
            case TIMEOUT, CANCELLED, CORRUPT_DATA, UNSUPPORTED, INTERNAL, UNKNOWN ->
                new ClusterClientException(code(status.getCode()), description, cause);
        };
    }

    /** The exception for a call no coordinator of {@code tried} could take; {@code last} is the final attempt's status. */
    public static CoordinatorUnreachableException unreachable(List<String> tried, Status last) {
        return new CoordinatorUnreachableException(tried, reason(last), last.asRuntimeException());
    }

    /**
     * What each gRPC code means to a pm caller; OUT_OF_RANGE is a request past the end of something, hence
     * a bad argument.
     */
    static ErrorCode code(Status.Code code) {
        return switch (code) {
            case NOT_FOUND -> ErrorCode.NOT_FOUND;
            case FAILED_PRECONDITION -> ErrorCode.WRONG_STATE;
            case ALREADY_EXISTS -> ErrorCode.ALREADY_EXISTS;
            case ABORTED -> ErrorCode.CONFLICT;
            case INVALID_ARGUMENT, OUT_OF_RANGE -> ErrorCode.INVALID_ARGUMENT;
            case RESOURCE_EXHAUSTED -> ErrorCode.LIMIT_EXCEEDED;
            case UNAUTHENTICATED -> ErrorCode.UNAUTHENTICATED;
            case PERMISSION_DENIED -> ErrorCode.PERMISSION_DENIED;
            case UNAVAILABLE -> ErrorCode.UNAVAILABLE;
            case DEADLINE_EXCEEDED -> ErrorCode.TIMEOUT;
            case CANCELLED -> ErrorCode.CANCELLED;
            case DATA_LOSS -> ErrorCode.CORRUPT_DATA;
            case UNIMPLEMENTED -> ErrorCode.UNSUPPORTED;
            case INTERNAL -> ErrorCode.INTERNAL;
            case UNKNOWN, OK -> ErrorCode.UNKNOWN;
        };
    }

    /** The server's message as one line; a status without one is described by its cause, else by its code. */
    static String oneLine(Status status) {
        String d = status.getDescription();
        if (d == null || d.isBlank()) {
            return status.getCause() != null && status.getCause().getMessage() != null
                    ? status.getCause()
                            .getMessage()
                            .lines()
                            .findFirst()
                            .orElse(status.getCode().name())
                    : status.getCode().name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }
        return d.lines().findFirst().orElse(d).strip();
    }

    /** A transport failure's own words ("Connection refused: /127.0.0.1:7700") say more than its status ("io exception"). */
    private static String reason(Status last) {
        Throwable cause = last.getCause();
        while (cause != null && cause.getCause() != null && cause.getMessage() == null) {
            cause = cause.getCause();
        }
        return cause != null && cause.getMessage() != null
                ? cause.getMessage().lines().findFirst().orElse("")
                : oneLine(last);
    }
}
