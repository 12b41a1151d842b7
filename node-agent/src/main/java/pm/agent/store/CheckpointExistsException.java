package pm.agent.store;

/** A checkpoint with this id is already stored for the process; ids come from images and are unique. */
public final class CheckpointExistsException extends StoreException {
    public CheckpointExistsException(String message) {
        super(message);
    }
}
