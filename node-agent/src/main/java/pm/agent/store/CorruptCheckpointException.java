package pm.agent.store;

/** Stored data failed its checks: a manifest's checksum, a chunk that is missing, of the wrong size or (sealed) not authentic. */
public class CorruptCheckpointException extends StoreException {
    public CorruptCheckpointException(String message) {
        super(message);
    }

    public CorruptCheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
