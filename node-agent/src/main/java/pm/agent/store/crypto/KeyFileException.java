package pm.agent.store.crypto;

import pm.agent.store.StoreException;

/** An image key file that is missing, unreadable or malformed; the message names the file (and the line). */
public final class KeyFileException extends StoreException {
    public KeyFileException(String message) {
        super(message);
    }

    public KeyFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
