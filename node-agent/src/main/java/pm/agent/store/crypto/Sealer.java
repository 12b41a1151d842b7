package pm.agent.store.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals objects that are written and read whole (a checkpoint chunk, a manifest): a {@link
 * SealedHeader} (magic "PMS1"), then the AES-256-GCM ciphertext and its 128-bit tag, so a sealed
 * object is exactly {@link #OVERHEAD} bytes longer than its plaintext. The object's key is derived
 * from the cluster key, the purpose and the header's salt (see {@link Gcm}); the nonce is 0. The
 * associated data is the header, the purpose and the caller's binding (a chunk's name, a manifest's
 * place), so a sealed object moved to another name or place fails to open.
 *
 * <p>Immutable and thread-safe.
 */
public final class Sealer {
    static final int MAGIC = 0x504D5331; // "PMS1"
    /** Bytes a sealed object has beyond its plaintext: the header and the tag. */
    public static final int OVERHEAD = SealedHeader.LENGTH + Gcm.TAG_BYTES;

    private final ClusterKeys keys;
    private final String purpose;
    private final byte[] purposeBytes;

    /** Seals under the current key of {@code keys} (which must not be {@link ClusterKeys#NONE}) for {@code purpose}. */
    public Sealer(ClusterKeys keys, String purpose) {
        if (keys.isNone()) {
            throw new IllegalArgumentException("sealing needs image keys");
        }
        this.keys = keys;
        this.purpose = purpose;
        this.purposeBytes = purpose.getBytes(StandardCharsets.US_ASCII);
    }

    /** Whether {@code data} starts like a sealed object (its magic; not whether it is authentic). */
    public static boolean looksSealed(byte[] data) {
        return SealedHeader.magicOf(data, 0) == MAGIC;
    }

    /** The id of the key {@code data} says it is sealed under, or an exception if it is no sealed object. */
    public static String keyIdOf(byte[] data, String what) {
        return SealedHeader.parse(data, 0, MAGIC, what).keyId();
    }

    /** {@code plain[off, off + len)} sealed and bound to {@code binding}. */
    public byte[] seal(byte[] binding, byte[] plain, int off, int len) {
        SealedHeader header = SealedHeader.fresh(MAGIC, keys);
        byte[] head = header.bytes();
        byte[] out = new byte[OVERHEAD + len];
        System.arraycopy(head, 0, out, 0, head.length);
        SecretKeySpec key = Gcm.objectKey(keys.currentSecret(), purpose, header.salt());
        try {
            Cipher c = Gcm.cipher(Cipher.ENCRYPT_MODE, key, 0, head, purposeBytes, binding);
            Gcm.encrypt(c, plain, off, len, out, head.length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed to encrypt", e);
        }
        return out;
    }

    /**
     * The plaintext of {@code sealed}, which must be bound to {@code binding}; {@code what} names it
     * in errors. {@link TamperedDataException} if it is not authentic, {@link UnknownKeyException}
     * if its key is not in the ring.
     */
    public byte[] open(byte[] binding, byte[] sealed, String what) {
        SealedHeader header = SealedHeader.parse(sealed, 0, MAGIC, what);
        if (sealed.length < OVERHEAD) {
            throw new TamperedDataException(what + " is cut short: " + sealed.length + " bytes");
        }
        SecretKeySpec key = Gcm.objectKey(keys.secret(header.keyId(), what), purpose, header.salt());
        try {
            Cipher c = Gcm.cipher(
                    Cipher.DECRYPT_MODE,
                    key,
                    0,
                    java.util.Arrays.copyOf(sealed, SealedHeader.LENGTH),
                    purposeBytes,
                    binding);
            return c.doFinal(sealed, SealedHeader.LENGTH, sealed.length - SealedHeader.LENGTH);
        } catch (AEADBadTagException e) {
            throw new TamperedDataException(what + " failed authentication under key '" + header.keyId()
                    + "': it was altered, or is not what this name was sealed as");
        } catch (GeneralSecurityException e) {
            throw new TamperedDataException(what + " cannot be decrypted: " + e.getMessage(), e);
        }
    }
}
