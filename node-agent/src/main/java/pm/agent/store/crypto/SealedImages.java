package pm.agent.store.crypto;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import pm.v1.ImageHeader;

/**
 * Exported images, sealed: what an agent with image keys streams out for {@code ExportImage}
 * (through the coordinator into pmctl's file) and what it accepts from {@code ImportImage}.
 * <pre>
 * {@link SealedHeader}, magic "PMSX"      53 bytes: key id, this file's salt
 * clear length (4), clear header          an {@link ImageHeader} holding only the module's SHA-256,
 *                                         so a client can name the module without the key
 * records, each: word (4), sealed bytes   word: bit 31 set on the last record, bits 0-30 the
 *                                         length of the sealed bytes (at most 1 MiB + 16);
 *                                         sealed bytes: the AES-256-GCM ciphertext and tag of
 *                                         the next part of the plain image
 * </pre>
 * The file's key is derived from the cluster key and the salt; record {@code i} takes nonce
 * {@code i}. Each record's associated data is everything before the records (so the clear header
 * cannot be changed), its number and whether it is the last (so records cannot be reordered,
 * dropped or the file cut short). A record's bytes are handed on only once it authenticates.
 *
 * <p>Not thread-safe: one writer, one reader per stream.
 */
public final class SealedImages {
    static final int MAGIC = 0x504D5358; // "PMSX"
    private static final int RECORD_BYTES = 1 << 20;
    private static final int LAST = 1 << 31;
    private static final int MAX_CLEAR = 1 << 10;
    private static final String PURPOSE = "export";

    private SealedImages() {}

    /** Whether {@code prefix} (the first bytes of a file) starts like a sealed image. */
    public static boolean looksSealed(byte[] prefix) {
        return SealedHeader.magicOf(prefix, 0) == MAGIC;
    }

    /**
     * A stream that seals what is written to it onto {@code out}, under the current key of {@code
     * keys}; closing it writes the last record and flushes {@code out} but leaves it open.
     */
    public static OutputStream sealing(OutputStream out, ClusterKeys keys, byte[] moduleSha256) throws IOException {
        SealedHeader h = SealedHeader.fresh(MAGIC, keys);
        byte[] clear = ImageHeader.newBuilder()
                .setModuleSha256(com.google.protobuf.ByteString.copyFrom(moduleSha256))
                .build()
                .toByteArray();
        byte[] head = ByteBuffer.allocate(SealedHeader.LENGTH + 4 + clear.length)
                .put(h.bytes())
                .putInt(clear.length)
                .put(clear)
                .array();
        out.write(head);
        return new Sealing(out, head, Gcm.objectKey(keys.currentSecret(), PURPOSE, h.salt()));
    }

    /**
     * The plain image in {@code in}: opened and authenticated record by record if it is sealed;
     * as it is if it is plain and there are no keys. An agent with keys refuses a plain image
     * ({@link TamperedDataException}: nothing vouches for it); one without keys, or without the
     * image's key, a sealed one ({@link UnknownKeyException} naming the key).
     */
    public static InputStream opening(InputStream in, ClusterKeys keys) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
        buffered.mark(4);
        byte[] magic = buffered.readNBytes(4);
        buffered.reset();
        if (!looksSealed(magic)) {
            if (!keys.isNone()) {
                throw new TamperedDataException("the image is not sealed: an agent with image keys imports only images"
                        + " sealed under its cluster's keys");
            }
            return buffered;
        }
        DataInputStream data = new DataInputStream(buffered);
        byte[] sealedHeader = new byte[SealedHeader.LENGTH];
        try {
            data.readFully(sealedHeader);
            SealedHeader h = SealedHeader.parse(sealedHeader, 0, MAGIC, "the image");
            SecretKeySpec key = Gcm.objectKey(keys.secret(h.keyId(), "the image"), PURPOSE, h.salt());
            int clearLength = data.readInt();
            if (clearLength < 0 || clearLength > MAX_CLEAR) {
                throw new TamperedDataException(
                        "the sealed image has a corrupt clear header (" + clearLength + " bytes)");
            }
            byte[] head = ByteBuffer.allocate(SealedHeader.LENGTH + 4 + clearLength)
                    .put(sealedHeader)
                    .putInt(clearLength)
                    .put(data.readNBytes(clearLength))
                    .array();
            return new Opening(data, head, key);
        } catch (EOFException e) {
            throw new TamperedDataException("the sealed image is cut short in its header");
        }
    }

    private static byte[] aad(long record, boolean last) {
        return ByteBuffer.allocate(9).putLong(record).put((byte) (last ? 1 : 0)).array();
    }

    private static final class Sealing extends OutputStream {
        private final OutputStream out;
        private final byte[] head;
        private final SecretKeySpec key;
        private final byte[] buffer = new byte[RECORD_BYTES];
        private int used;
        private long records;
        private boolean closed;

        Sealing(OutputStream out, byte[] head, SecretKeySpec key) {
            this.out = out;
            this.head = head;
            this.key = key;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("sealed image already closed");
            }
            while (len > 0) {
                if (used == buffer.length) {
                    record(false);
                }
                int n = Math.min(len, buffer.length - used);
                System.arraycopy(b, off, buffer, used, n);
                used += n;
                off += n;
                len -= n;
            }
        }

        private void record(boolean last) throws IOException {
            byte[] sealed;
            try {
                sealed = new byte[used + Gcm.TAG_BYTES];
                Gcm.encrypt(
                        Gcm.cipher(Cipher.ENCRYPT_MODE, key, records, head, aad(records, last)),
                        buffer,
                        0,
                        used,
                        sealed,
                        0);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM failed to encrypt", e);
            }
            records++;
            used = 0;
            out.write(ByteBuffer.allocate(4)
                    .putInt(sealed.length | (last ? LAST : 0))
                    .array());
            out.write(sealed);
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                record(true);
                closed = true;
                out.flush();
            }
        }
    }

    private static final class Opening extends InputStream {
        private final DataInputStream in;
        private final byte[] head;
        private final SecretKeySpec key;
        private byte[] plain = new byte[0];
        private int at;
        private long records;
        private boolean last;

        Opening(DataInputStream in, byte[] head, SecretKeySpec key) {
            this.in = in;
            this.head = head;
            this.key = key;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (at == plain.length) {
                if (last) {
                    return -1;
                }
                next();
            }
            int n = Math.min(len, plain.length - at);
            System.arraycopy(plain, at, b, off, n);
            at += n;
            return n;
        }

        private void next() throws IOException {
            int word;
            byte[] sealed;
            try {
                word = in.readInt();
                int length = word & ~LAST;
                if (length < Gcm.TAG_BYTES || length > RECORD_BYTES + Gcm.TAG_BYTES) {
                    throw new TamperedDataException(
                            "the sealed image is corrupt: record " + records + " claims " + length + " bytes");
                }
                sealed = in.readNBytes(length);
                if (sealed.length < length) {
                    throw new EOFException();
                }
            } catch (EOFException e) {
                throw new TamperedDataException("the sealed image is cut short at record " + records);
            }
            boolean isLast = (word & LAST) != 0;
            try {
                plain = Gcm.cipher(Cipher.DECRYPT_MODE, key, records, head, aad(records, isLast))
                        .doFinal(sealed);
            } catch (AEADBadTagException e) {
                throw new TamperedDataException("the sealed image failed authentication at record " + records
                        + ": it was altered, cut or reordered");
            } catch (GeneralSecurityException e) {
                throw new TamperedDataException("the sealed image cannot be decrypted: " + e.getMessage(), e);
            }
            at = 0;
            records++;
            last = isLast;
            if (last && in.read() >= 0) {
                throw new TamperedDataException("the sealed image has bytes after its last record");
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
