package pm.agent.store.crypto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.BitSet;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import pm.agent.store.StagingFile;

/**
 * A staging file whose pages are sealed one by one, each in a slot of its own so a page written
 * again by a later pre-copy round overwrites only its slot:
 * <pre>
 * [0, 53)                      {@link SealedHeader}, magic "PMST": key id and this file's salt
 * [64, 64 + 12 + n + 16)       the map: its write number (8), its length n (4), then sealed
 *                              (highest page write number (8), bitmap of written pages)
 * [65536 + i * 65560, ...)     page i: its write number (8), the sealed page (65536) and tag (16)
 * </pre>
 * The file's AES key is derived from the cluster key and the salt; every seal (page or map) takes
 * the next write number as its GCM nonce, so no nonce repeats under that key. A page is bound to
 * its index (associated data), so pages cannot be swapped. The map, rewritten sealed at every
 * {@link #force}, says which pages were written, so a written page cannot be zeroed unseen, and
 * up to which write number, so a slot cannot hold a write newer than the map knows. Pages never
 * written (the first round skips zero pages) read as zero.
 *
 * <p>Threads: one writer; reading is for a restart, when no writer runs.
 */
public final class SealedStagingFile implements StagingFile {
    static final int MAGIC = 0x504D5354; // "PMST"
    private static final int PAGE = 65536;
    private static final long MAP_AT = 64;
    private static final long DATA_AT = 65536;
    private static final int SLOT = 8 + PAGE + Gcm.TAG_BYTES;
    private static final byte[] MAP_AAD = "staging-map".getBytes(StandardCharsets.US_ASCII);

    private final FileChannel file;
    private final byte[] header;
    private final SecretKeySpec key;
    private final BitSet written = new BitSet();
    private long writes;

    private SealedStagingFile(FileChannel file, byte[] header, SecretKeySpec key) {
        this.file = file;
        this.header = header;
        this.key = key;
    }

    /** A sealed staging file on the new, empty {@code file}, under the current key of {@code keys}. */
    public static SealedStagingFile create(FileChannel file, ClusterKeys keys) throws IOException {
        SealedHeader h = SealedHeader.fresh(MAGIC, keys);
        byte[] bytes = h.bytes();
        writeFully(file, ByteBuffer.wrap(bytes), 0);
        return new SealedStagingFile(file, bytes, Gcm.objectKey(keys.currentSecret(), "staging", h.salt()));
    }

    /** Whether {@code file} starts like a sealed staging file. */
    public static boolean looksSealed(FileChannel file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4);
        while (b.hasRemaining() && file.read(b, b.position()) >= 0) {
            // the magic, or the end of the file
        }
        return !b.hasRemaining() && b.getInt(0) == MAGIC;
    }

    @Override
    public void write(byte[] memory, int from, int length) throws IOException {
        if (from % PAGE != 0 || length % PAGE != 0) {
            throw new IllegalArgumentException("staging writes whole pages: " + from + "+" + length);
        }
        ByteBuffer slot = ByteBuffer.allocate(SLOT);
        for (int at = from; at < from + length; at += PAGE) {
            int page = at / PAGE;
            long n = ++writes;
            slot.clear();
            slot.putLong(n);
            try {
                Gcm.cipher(Cipher.ENCRYPT_MODE, key, n, header, pageAad(page))
                        .doFinal(ByteBuffer.wrap(memory, at, PAGE), slot);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM failed to encrypt", e);
            }
            slot.flip();
            writeFully(file, slot, DATA_AT + (long) page * SLOT);
            written.set(page);
        }
    }

    @Override
    public void force() throws IOException {
        byte[] bitmap = written.toByteArray();
        ByteBuffer plain =
                ByteBuffer.allocate(8 + bitmap.length).putLong(writes).put(bitmap);
        long n = ++writes;
        byte[] sealed;
        try {
            sealed = Gcm.cipher(Cipher.ENCRYPT_MODE, key, n, header, MAP_AAD).doFinal(plain.array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed to encrypt", e);
        }
        if (12 + sealed.length > DATA_AT - MAP_AT) {
            throw new IllegalStateException("staging map of " + sealed.length + " bytes does not fit");
        }
        writeFully(
                file,
                ByteBuffer.allocate(12 + sealed.length)
                        .putLong(n)
                        .putInt(sealed.length)
                        .put(sealed)
                        .flip(),
                MAP_AT);
        file.force(false);
    }

    @Override
    public void close() throws IOException {
        file.close();
    }

    /** Reads the sealed staging file {@code file} into {@code memory}, authenticating every page; {@code what} names it. */
    public static void read(FileChannel file, byte[] memory, ClusterKeys keys, String what) throws IOException {
        byte[] header = readFully(file, 0, SealedHeader.LENGTH, what);
        SealedHeader h = SealedHeader.parse(header, 0, MAGIC, "staging file " + what);
        SecretKeySpec key = Gcm.objectKey(keys.secret(h.keyId(), "staging file " + what), "staging", h.salt());
        ByteBuffer mapHead = ByteBuffer.wrap(readFully(file, MAP_AT, 12, what));
        long mapNonce = mapHead.getLong();
        int mapLength = mapHead.getInt();
        if (mapLength < Gcm.TAG_BYTES + 8 || mapLength > DATA_AT - MAP_AT - 12) {
            throw new TamperedDataException("staging file " + what + " has no readable page map");
        }
        ByteBuffer map = ByteBuffer.wrap(open(
                key, mapNonce, readFully(file, MAP_AT + 12, mapLength, what), what + " (page map)", header, MAP_AAD));
        long newest = map.getLong();
        if (mapNonce <= newest) {
            throw new TamperedDataException("staging file " + what + ": its page map is older than its pages");
        }
        BitSet pages = BitSet.valueOf(map);
        int count = memory.length / PAGE;
        if (pages.length() > count) {
            throw new TamperedDataException(
                    "staging file " + what + " holds page " + (pages.length() - 1) + " of " + count);
        }
        for (int page = pages.nextSetBit(0); page >= 0; page = pages.nextSetBit(page + 1)) {
            ByteBuffer slot = ByteBuffer.wrap(readFully(file, DATA_AT + (long) page * SLOT, SLOT, what));
            long n = slot.getLong();
            if (n < 1 || n > newest) {
                throw new TamperedDataException("staging file " + what + ": page " + page + " carries write " + n
                        + ", not one the page map knows");
            }
            byte[] plain = open(
                    key,
                    n,
                    Arrays.copyOfRange(slot.array(), 8, SLOT),
                    what + " (page " + page + ")",
                    header,
                    pageAad(page));
            System.arraycopy(plain, 0, memory, page * PAGE, PAGE);
        }
    }

    private static byte[] open(SecretKeySpec key, long nonce, byte[] sealed, String what, byte[]... aad) {
        try {
            return Gcm.cipher(Cipher.DECRYPT_MODE, key, nonce, aad).doFinal(sealed);
        } catch (AEADBadTagException e) {
            throw new TamperedDataException("staging file " + what + " failed authentication: it was altered");
        } catch (GeneralSecurityException e) {
            throw new TamperedDataException("staging file " + what + " cannot be decrypted: " + e.getMessage(), e);
        }
    }

    private static byte[] pageAad(int page) {
        return ByteBuffer.allocate(9).put((byte) 'p').putLong(page).array();
    }

    private static void writeFully(FileChannel file, ByteBuffer bytes, long at) throws IOException {
        while (bytes.hasRemaining()) {
            at += file.write(bytes, at);
        }
    }

    private static byte[] readFully(FileChannel file, long at, int length, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (file.read(b, at + b.position()) < 0) {
                throw new TamperedDataException(
                        "staging file " + what + " is cut short at byte " + (at + b.position()));
            }
        }
        return b.array();
    }
}
