package pm.client;

/**
 * Why the cluster refused or failed a call, in pm's own terms; {@link ClusterClientException#code()} carries
 * it and each code a caller usually branches on has its own exception type. The set follows what the
 * coordinators and agents answer, so it is stable across transports.
 */
public enum ErrorCode {
    /** No such process, node, checkpoint or file ({@link NotFoundException}). */
    NOT_FOUND,
    /**
     * The target is not in a state that allows the call: thawing a running process, migrating to the
     * node it already runs on ({@link WrongStateException}).
     */
    WRONG_STATE,
    /**
     * A process with that id exists already ({@link AlreadyExistsException}, a {@link WrongStateException}
     * so that callers who caught that for a duplicate spawn still do).
     */
    ALREADY_EXISTS,
    /** Lost a race with another change to the same thing; asking again may succeed ({@link ConflictException}). */
    CONFLICT,
    /** The request itself is wrong: a bad module, a malformed spec, a bad path ({@link InvalidRequestException}). */
    INVALID_ARGUMENT,
    /** A limit was hit: no node has room, a memory or fuel limit, too many watchers ({@link LimitExceededException}). */
    LIMIT_EXCEEDED,
    /** The cluster requires a client certificate and none was offered ({@link UnauthenticatedException}). */
    UNAUTHENTICATED,
    /** The caller's role does not allow the call ({@link PermissionDeniedException}). */
    PERMISSION_DENIED,
    /**
     * A coordinator, an agent or ZooKeeper could not be reached or is not ready; usually worth retrying
     * ({@link UnavailableException}, {@link CoordinatorUnreachableException}).
     */
    UNAVAILABLE,
    /** The call's deadline passed before the cluster answered; it may still have taken effect. */
    TIMEOUT,
    /** The call was cancelled: by the caller, by an interrupt, or by a transfer that broke midway. */
    CANCELLED,
    /** Stored data (an image or a checkpoint) failed verification. */
    CORRUPT_DATA,
    /** The coordinator does not know the call: it runs an older version than this SDK. */
    UNSUPPORTED,
    /** A bug or an unexpected failure on the server side. */
    INTERNAL,
    /** A failure with no better classification. */
    UNKNOWN
}
