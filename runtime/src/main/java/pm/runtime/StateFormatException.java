package pm.runtime;

/** A saved execution state is corrupt, truncated or of an unknown version. */
public final class StateFormatException extends WasmException {
    public StateFormatException(String message) {
        super(message);
    }

    public StateFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
