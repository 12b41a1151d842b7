package pm.runtime;

/** The module bytes are not a well-formed WebAssembly binary. */
public final class MalformedModuleException extends WasmException {
    public MalformedModuleException(String message, Throwable cause) {
        super(message, cause);
    }
}
