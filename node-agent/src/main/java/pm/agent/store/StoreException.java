package pm.agent.store;

/** Root of the errors the checkpoint and module stores raise; subclasses say what was wrong. */
public class StoreException extends RuntimeException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
