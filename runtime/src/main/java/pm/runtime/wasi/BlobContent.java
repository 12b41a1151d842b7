package pm.runtime.wasi;

/**
 * Read-only bytes the host keeps by their SHA-256, such as an input file a user uploaded. A file
 * system reads a file's content from one until the guest first changes the file, and a process
 * image names it by hash instead of carrying its bytes (see {@link BlobResolver}).
 *
 * <p>The content must never change: the hash is its name on every host. Reads come from the
 * thread running the process that holds the file; an implementation shared between processes
 * must allow concurrent reads.
 */
public interface BlobContent {
    /** The SHA-256 of the whole content: 32 bytes, the caller's to keep. */
    byte[] sha256();

    /** The content's length in bytes, the same on every call; may exceed what one Java array holds. */
    long size();

    /**
     * Copies up to {@code length} bytes starting at {@code position} into {@code into}; returns
     * how many (possibly fewer than asked before the end), or -1 at or after the end.
     *
     * @throws java.io.UncheckedIOException if the host cannot read its copy
     */
    int read(long position, byte[] into, int offset, int length);
}
