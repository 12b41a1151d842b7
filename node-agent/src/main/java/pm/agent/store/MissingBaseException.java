package pm.agent.store;

/** An incremental image was offered whose base checkpoint the store does not hold, whole, for that process. */
public final class MissingBaseException extends StoreException {
    public MissingBaseException(String message) {
        super(message);
    }
}
