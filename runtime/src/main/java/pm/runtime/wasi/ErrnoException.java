package pm.runtime.wasi;

/**
 * A WASI call failed in a way the guest is told about: the host function catches it and returns
 * {@link #errno()}. It is an ordinary answer, not a runtime fault, so it does not join the
 * {@code WasmException} hierarchy and records no stack trace (guests may cause millions of ENOENTs).
 */
public final class ErrnoException extends RuntimeException {
    private final Errno errno;

    public ErrnoException(Errno errno, String message) {
        super(errno + ": " + message, null, false, false);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
