package pm.agent.store;

/** The store holds no such checkpoint (or no checkpoint at all) for the process. */
public final class CheckpointNotFoundException extends StoreException {
    public CheckpointNotFoundException(String message) {
        super(message);
    }
}
