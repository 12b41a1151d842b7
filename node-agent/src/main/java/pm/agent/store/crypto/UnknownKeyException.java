package pm.agent.store.crypto;

import pm.agent.store.StoreException;

/**
 * Sealed data (a checkpoint, a staging file, an exported image) names a key this agent's key file
 * does not hold, or the agent has no image keys at all. The data may be intact: an agent given the
 * right key file reads it. The message names the key id.
 */
public final class UnknownKeyException extends StoreException {
    private final String keyId;

    public UnknownKeyException(String keyId, String message) {
        super(message);
        this.keyId = keyId;
    }

    public String keyId() {
        return keyId;
    }
}
