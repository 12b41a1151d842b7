package pm.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.ConnectException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
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

/** Each gRPC status the cluster can answer becomes one pm exception type and code. */
class StatusErrorsTest {
    @Test
    void theCodesCallersBranchOnHaveTheirOwnTypes() {
        assertMaps(Status.NOT_FOUND, NotFoundException.class, ErrorCode.NOT_FOUND);
        assertMaps(Status.FAILED_PRECONDITION, WrongStateException.class, ErrorCode.WRONG_STATE);
        assertMaps(Status.ALREADY_EXISTS, AlreadyExistsException.class, ErrorCode.ALREADY_EXISTS);
        assertMaps(Status.ABORTED, ConflictException.class, ErrorCode.CONFLICT);
        assertMaps(Status.INVALID_ARGUMENT, InvalidRequestException.class, ErrorCode.INVALID_ARGUMENT);
        assertMaps(Status.OUT_OF_RANGE, InvalidRequestException.class, ErrorCode.INVALID_ARGUMENT);
        assertMaps(Status.RESOURCE_EXHAUSTED, LimitExceededException.class, ErrorCode.LIMIT_EXCEEDED);
        assertMaps(Status.UNAUTHENTICATED, UnauthenticatedException.class, ErrorCode.UNAUTHENTICATED);
        assertMaps(Status.PERMISSION_DENIED, PermissionDeniedException.class, ErrorCode.PERMISSION_DENIED);
        assertMaps(Status.UNAVAILABLE, UnavailableException.class, ErrorCode.UNAVAILABLE);
    }

    @Test
    void theRestAreTheRootTypeWithTheirCode() {
        assertMaps(Status.DEADLINE_EXCEEDED, ClusterClientException.class, ErrorCode.TIMEOUT);
        assertMaps(Status.CANCELLED, ClusterClientException.class, ErrorCode.CANCELLED);
        assertMaps(Status.DATA_LOSS, ClusterClientException.class, ErrorCode.CORRUPT_DATA);
        assertMaps(Status.UNIMPLEMENTED, ClusterClientException.class, ErrorCode.UNSUPPORTED);
        assertMaps(Status.INTERNAL, ClusterClientException.class, ErrorCode.INTERNAL);
        assertMaps(Status.UNKNOWN, ClusterClientException.class, ErrorCode.UNKNOWN);
    }

    /** A caller's {@code catch (NotFoundException e)} and {@code e.code() == NOT_FOUND} must never disagree. */
    @ParameterizedTest
    @EnumSource(Status.Code.class)
    void theTypeAndTheCodeAgree(Status.Code grpc) {
        ClusterClientException e =
                StatusErrors.toException(Status.fromCode(grpc).withDescription("x"));

        Class<?> expected = switch (e.code()) {
            case NOT_FOUND -> NotFoundException.class;
            case WRONG_STATE -> WrongStateException.class;
            case ALREADY_EXISTS -> AlreadyExistsException.class;
            case CONFLICT -> ConflictException.class;
            case INVALID_ARGUMENT -> InvalidRequestException.class;
            case LIMIT_EXCEEDED -> LimitExceededException.class;
            case UNAUTHENTICATED -> UnauthenticatedException.class;
            case PERMISSION_DENIED -> PermissionDeniedException.class;
            case UNAVAILABLE -> UnavailableException.class;
            default -> ClusterClientException.class;
        };
        assertThat(e).isExactlyInstanceOf(expected);
    }

    @Test
    void theMessageIsTheServersLineAndThePmCode() {
        ClusterClientException e = StatusErrors.toException(
                Status.FAILED_PRECONDITION.withDescription("process p1 is not suspended\nmore"));

        assertThat(e.description()).isEqualTo("process p1 is not suspended");
        assertThat(e).hasMessage("process p1 is not suspended (WRONG_STATE)");
    }

    @Test
    void theStatusStaysReachableAsTheCause() {
        ClusterClientException e = StatusErrors.toException(Status.NOT_FOUND.withDescription("no process p9"));

        assertThat(e.getCause())
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        s -> assertThat(s.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void aStatusWithoutADescriptionIsDescribedByItsCauseOrCode() {
        assertThat(StatusErrors.toException(Status.UNAVAILABLE.withCause(new ConnectException("Connection refused")))
                        .description())
                .isEqualTo("Connection refused");
        assertThat(StatusErrors.toException(Status.DEADLINE_EXCEEDED).description())
                .isEqualTo("deadline exceeded");
    }

    @Test
    void unreachableNamesWhatWasTriedAndTheTransportsOwnWords() {
        CoordinatorUnreachableException e = StatusErrors.unreachable(
                List.of("h:1", "h:2"),
                Status.UNAVAILABLE
                        .withDescription("io exception")
                        .withCause(new ConnectException("Connection refused: h/1")));

        assertThat(e)
                .isInstanceOf(UnavailableException.class)
                .hasMessage(
                        "cannot reach a leading coordinator (tried h:1, h:2): Connection refused: h/1 (UNAVAILABLE)");
        assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
        assertThat(e.tried()).containsExactly("h:1", "h:2");
    }

    private static void assertMaps(Status status, Class<? extends ClusterClientException> type, ErrorCode code) {
        ClusterClientException e = StatusErrors.toException(status.withDescription("why"));
        assertThat(e).as("%s", status.getCode()).isExactlyInstanceOf(type);
        assertThat(e.code()).as("%s", status.getCode()).isEqualTo(code);
    }
}
