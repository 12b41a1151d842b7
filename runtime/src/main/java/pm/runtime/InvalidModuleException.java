package pm.runtime;

/** The module is well formed but fails validation, or uses a feature this runtime does not support. */
public final class InvalidModuleException extends WasmException {
    public InvalidModuleException(String message) {
        super(message);
    }

    public InvalidModuleException(String message, Throwable cause) {
        super(message, cause);
    }
}
