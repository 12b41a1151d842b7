package pm.common.zk;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals the few secrets a ZooKeeper record must carry (a process's environment) so that they are not
 * in the clear in ZooKeeper's snapshots, logs and backups: AES-256-GCM under a key derived (HMAC-SHA256)
 * from the cluster's ZooKeeper secret, which every member has and ZooKeeper never sees. A random 96-bit
 * nonce per seal is safe for the number of records a cluster writes; the record's id is the
 * associated data, so a sealed value cannot be moved to another record. Immutable and thread-safe.
 */
public final class RecordSeal {
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    RecordSeal(String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            this.key = new SecretKeySpec(mac.doFinal("pm record seal v1".getBytes(StandardCharsets.US_ASCII)), "AES");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java platform has HmacSHA256", e);
        }
    }

    /** {@code plain} sealed for the record {@code recordId}: nonce, then ciphertext and tag. */
    public byte[] seal(byte[] plain, String recordId) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            gcm.updateAAD(recordId.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = gcm.doFinal(plain);
            return ByteBuffer.allocate(NONCE_BYTES + sealed.length)
                    .put(nonce)
                    .put(sealed)
                    .array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed", e);
        }
    }

    /** The plain bytes {@link #seal} sealed for {@code recordId}; {@link IllegalArgumentException} if they do not authenticate. */
    public byte[] open(byte[] sealed, String recordId) {
        if (sealed.length < NONCE_BYTES + TAG_BITS / 8) {
            throw new IllegalArgumentException("sealed value of record " + recordId + " is truncated");
        }
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
            gcm.updateAAD(recordId.getBytes(StandardCharsets.UTF_8));
            return gcm.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new IllegalArgumentException("sealed value of record " + recordId
                    + " does not authenticate (tampered, or sealed under another ZooKeeper secret)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed", e);
        }
    }
}
