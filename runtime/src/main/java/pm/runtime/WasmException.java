package pm.runtime;

/** Root of every error the runtime raises; subclasses say whose fault it was. */
public class WasmException extends RuntimeException {
    public WasmException(String message) {
        super(message);
    }

    public WasmException(String message, Throwable cause) {
        super(message, cause);
    }
}
