package pm.runtime;

/** A process asked for more than its limits allow (memory pages, for example); the process ends, nothing else. */
public final class LimitExceededException extends WasmException {
    public LimitExceededException(String message) {
        super(message);
    }
}
