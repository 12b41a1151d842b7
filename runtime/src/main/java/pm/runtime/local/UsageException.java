package pm.runtime.local;

/** A command line or an input that cannot be run: {@code ./pm run} prints its message on one line and exits 2. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
