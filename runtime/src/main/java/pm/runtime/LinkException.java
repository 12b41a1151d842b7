package pm.runtime;

/** Instantiation failed: an import is unknown or incompatible, or a segment does not fit. */
public final class LinkException extends WasmException {
    public LinkException(String message) {
        super(message);
    }
}
