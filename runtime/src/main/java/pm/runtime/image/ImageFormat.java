package pm.runtime.image;

/**
 * The framing of a process image. After an 8-byte magic and a 4-byte format version, each chunk
 * is: type (1 byte), flags (1 byte, bit 0 = deflate), stored length (4), raw length (4),
 * CRC32C of the stored bytes (4), then the stored bytes. Order: HEADER, any PAGES, at most one
 * ZERO_PAGES, EXECUTION, WASI (optional), CHANNELS (optional: the
 * {@code pm} module's ChannelState; an image without it restores with empty channels), TRAILER. A PAGES payload is the first page index (4),
 * the page count (4) and the pages' bytes: runs of non-zero pages, so an untouched page costs
 * nothing. ZERO_PAGES (increments only) lists (first, count) runs of pages that changed to zero.
 */
final class ImageFormat {
    static final long MAGIC = 0x504D494D41474531L; // "PMIMAGE1"
    static final int VERSION = 1;
    static final int CHUNK_HEADER = 14;

    static final int HEADER = 1;
    static final int PAGES = 2;
    static final int EXECUTION = 3;
    static final int WASI = 4;
    static final int TRAILER = 5;
    static final int ZERO_PAGES = 6;
    static final int CHANNELS = 7;

    static final int FLAG_DEFLATE = 1;

    /** Pages per PAGES chunk: 4 MiB chunks keep memory bounded while streaming. */
    static final int PAGES_PER_CHUNK = 64;

    /** No chunk may claim more than this, so a corrupt length cannot make a reader allocate gigabytes. */
    static final int MAX_CHUNK = 64 << 20;

    private ImageFormat() {}
}
