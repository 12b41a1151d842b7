package pm.agent.store.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The clear header every sealed object starts with, {@value #LENGTH} bytes, big-endian: a 4-byte
 * magic saying what the object is, the key id's length (1 byte) and the id (32 bytes, zero-padded,
 * so the header and the overhead are of fixed size), and the object's random 128-bit salt. It is
 * part of the associated data of everything sealed under it, so none of it can be changed unseen.
 */
record SealedHeader(int magic, String keyId, byte[] salt) {
    static final int SALT_BYTES = 16;
    static final int LENGTH = 4 + 1 + ClusterKeys.MAX_ID_LENGTH + SALT_BYTES;
    private static final SecureRandom RANDOM = new SecureRandom();

    SealedHeader {
        if (keyId.isEmpty() || keyId.length() > ClusterKeys.MAX_ID_LENGTH || salt.length != SALT_BYTES) {
            throw new IllegalArgumentException(
                    "bad sealed header: key id '" + keyId + "', " + salt.length + "-byte salt");
        }
    }

    /** A header for a new object sealed under the current key of {@code keys}. */
    static SealedHeader fresh(int magic, ClusterKeys keys) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        return new SealedHeader(magic, keys.currentId(), salt);
    }

    byte[] bytes() {
        ByteBuffer b = ByteBuffer.allocate(LENGTH).putInt(magic);
        byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
        b.put((byte) id.length)
                .put(Arrays.copyOf(id, ClusterKeys.MAX_ID_LENGTH))
                .put(salt);
        return b.array();
    }

    static int magicOf(byte[] data, int off) {
        return data.length - off < 4 ? 0 : ByteBuffer.wrap(data, off, 4).getInt();
    }

    /** The header at {@code data[off]}, which must start with {@code magic}; {@code what} labels the error. */
    static SealedHeader parse(byte[] data, int off, int magic, String what) {
        if (data.length - off < LENGTH || magicOf(data, off) != magic) {
            throw new TamperedDataException(what + " is not sealed data (no sealed header)");
        }
        int n = data[off + 4] & 0xFF;
        if (n < 1 || n > ClusterKeys.MAX_ID_LENGTH) {
            throw new TamperedDataException(what + " has a corrupt sealed header (key id of " + n + " bytes)");
        }
        String id = new String(data, off + 5, n, StandardCharsets.US_ASCII);
        byte[] salt = Arrays.copyOfRange(data, off + 5 + ClusterKeys.MAX_ID_LENGTH, off + LENGTH);
        return new SealedHeader(magic, id, salt);
    }
}
