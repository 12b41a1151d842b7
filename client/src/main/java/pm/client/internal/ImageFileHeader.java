package pm.client.internal;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import pm.v1.ImageHeader;

/**
 * Reads an image file's {@link ImageHeader} (which names the module by its SHA-256) without consuming the
 * stream, so an import of an exported file can say which stored module it needs. The framing is the
 * runtime's documented one: 8-byte magic, 4-byte version, then chunks of type (1), flags (1, bit 0 =
 * deflate), stored length (4), raw length (4), CRC32C (4) and the stored bytes, big-endian; the header
 * chunk comes first. The client cannot link the runtime, so it reads just this much itself.
 *
 * <p>An image exported by agents with image keys is sealed (the node agent's {@code SealedImages}):
 * 4-byte magic "PMSX", key id length (1) and id (32), salt (16), then a clear length (4) and a clear
 * {@link ImageHeader} holding only the module's SHA-256, authenticated but not encrypted so that an
 * import can name its module without the key; the sealed records follow.
 */
public final class ImageFileHeader {
    private static final long MAGIC = 0x504D494D41474531L; // "PMIMAGE1"
    private static final int SEALED_MAGIC = 0x504D5358; // "PMSX"
    /** What follows a sealed image's magic before its clear header's length: key id length, key id, salt. */
    private static final int SEALED_SKIP = 1 + 32 + 16;

    private static final int HEADER_CHUNK = 1;
    private static final int FLAG_DEFLATE = 1;
    /** A header is a few hundred bytes; anything far larger is not an image this reader understands. */
    private static final int MAX_HEADER = 1 << 20;

    private ImageFileHeader() {}

    /** The header of the image {@code in} starts with, or empty if it does not look like one; {@code in} is reset. */
    public static Optional<ImageHeader> peek(InputStream in) throws IOException {
        if (!in.markSupported()) {
            throw new IllegalArgumentException("peeking needs a stream that supports mark");
        }
        in.mark(MAX_HEADER + 64);
        try {
            DataInputStream data = new DataInputStream(in);
            long magic = data.readLong();
            if ((int) (magic >>> 32) == SEALED_MAGIC) {
                data.skipNBytes(SEALED_SKIP - 4);
                int clear = data.readInt();
                if (clear < 0 || clear > MAX_HEADER) {
                    return Optional.empty();
                }
                return Optional.of(ImageHeader.parseFrom(data.readNBytes(clear)));
            }
            if (magic != MAGIC) {
                return Optional.empty();
            }
            data.readInt(); // format version: the header's layout is a proto, readable across versions
            int type = data.readUnsignedByte();
            int flags = data.readUnsignedByte();
            int stored = data.readInt();
            int raw = data.readInt();
            data.readInt(); // CRC32C: the agent checks the whole image; this is only a hint for the import
            if (type != HEADER_CHUNK || stored < 0 || stored > MAX_HEADER || raw < 0 || raw > MAX_HEADER) {
                return Optional.empty();
            }
            byte[] bytes = data.readNBytes(stored);
            if ((flags & FLAG_DEFLATE) != 0) {
                bytes = inflate(bytes, raw);
            }
            return Optional.of(ImageHeader.parseFrom(bytes));
        } catch (java.io.EOFException | com.google.protobuf.InvalidProtocolBufferException | DataFormatException e) {
            return Optional.empty();
        } finally {
            in.reset();
        }
    }

    private static byte[] inflate(byte[] stored, int raw) throws DataFormatException {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(stored);
            byte[] out = new byte[raw];
            int n = 0;
            while (n < raw && !inflater.finished()) {
                int got = inflater.inflate(out, n, raw - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new DataFormatException("truncated header chunk");
                }
                n += got;
            }
            return out;
        } finally {
            inflater.end();
        }
    }
}
