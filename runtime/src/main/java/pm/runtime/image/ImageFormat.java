package pm.runtime.image;

/**
 * The framing of a process image. After an 8-byte magic and a 4-byte format version, each chunk
 * is: type (1 byte), flags (1 byte, bit 0 = deflate, every other bit must be 0), stored length
 * (4), raw length (4), CRC32C (4), then the stored bytes. From version 2 the CRC32C covers the
 * frame's type, flags and both lengths, then the stored bytes, so that no byte of a chunk goes
 * unchecked; version 1 images (CRC of the stored bytes only) are still read. Nothing may follow
 * the trailer. Order: HEADER, any PAGES, at most one
 * ZERO_PAGES, EXECUTION, WASI (optional), CHANNELS (optional: the
 * {@code pm} module's ChannelState; an image without it restores with empty channels), TRAILER. A PAGES payload is the first page index (4),
 * the page count (4) and the pages' bytes: runs of non-zero pages, so an untouched page costs
 * nothing. ZERO_PAGES (increments only) lists (first, count) runs of pages that changed to zero.
 *
 * <p>Version 3 frames exactly as version 2; it says that the WASI state names files by blob hash
 * ({@code Inode.blob_sha256}). A version 2 reader would ignore that field and restore such a file
 * as empty, so it must refuse the image instead. Images without blob references are still written
 * as version 2, which every reader since version 2 takes. Because 2 and 3 frame alike, a version 3
 * header repeats its version (ImageHeader.format_version, under the header's checksum) and the
 * reader holds the two equal.
 */
final class ImageFormat {
    static final long MAGIC = 0x504D494D41474531L; // "PMIMAGE1"
    /** The newest version, read and written: written only when the WASI state names blobs. */
    static final int VERSION = 3;
    /** Written when the WASI state names no blob, so older readers still take the image. */
    static final int VERSION_WITHOUT_BLOBS = 2;
    /** The oldest version still read: 1 differs only in what its checksums cover. */
    static final int OLDEST_VERSION = 1;

    static final int CHUNK_HEADER = 14;

    static final int HEADER = 1;
    static final int PAGES = 2;
    static final int EXECUTION = 3;
    static final int WASI = 4;
    static final int TRAILER = 5;
    static final int ZERO_PAGES = 6;
    static final int CHANNELS = 7;

    static final int FLAG_DEFLATE = 1;
    static final int KNOWN_FLAGS = FLAG_DEFLATE;

    /** Pages per PAGES chunk: 4 MiB chunks keep memory bounded while streaming. */
    static final int PAGES_PER_CHUNK = 64;

    /** No chunk may claim more than this, so a corrupt length cannot make a reader allocate gigabytes. */
    static final int MAX_CHUNK = 64 << 20;

    private ImageFormat() {}

    /** The checksum of a chunk framed so, before its stored bytes are added. */
    static java.util.zip.CRC32C frameChecksum(int version, int type, int flags, int stored, int raw) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        if (version >= 2) {
            crc.update(new byte[] {
                (byte) type,
                (byte) flags,
                (byte) (stored >>> 24),
                (byte) (stored >>> 16),
                (byte) (stored >>> 8),
                (byte) stored,
                (byte) (raw >>> 24),
                (byte) (raw >>> 16),
                (byte) (raw >>> 8),
                (byte) raw
            });
        }
        return crc;
    }
}
