package pm.agent.store.crypto;

import pm.agent.store.CorruptCheckpointException;

/**
 * Sealed data failed AES-GCM authentication: a byte of it, of its header, or of what it is bound
 * to (its name, its position) differs from what was sealed. Nothing of it is believed.
 */
public final class TamperedDataException extends CorruptCheckpointException {
    public TamperedDataException(String message) {
        super(message);
    }

    public TamperedDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
