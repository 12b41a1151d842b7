package pm.runtime;

/** A saved execution state is well formed but does not fit the module or instance it is applied to. */
public final class StateMismatchException extends WasmException {
    public StateMismatchException(String message) {
        super(message);
    }
}
