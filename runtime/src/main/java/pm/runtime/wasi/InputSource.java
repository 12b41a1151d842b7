package pm.runtime.wasi;

import java.io.UncheckedIOException;

/**
 * A process's stdin, addressed by absolute position so a restored process continues exactly
 * where it stopped reading. Returns the bytes copied, or -1 at the end.
 */
@FunctionalInterface
public interface InputSource {
    int read(long position, byte[] into, int offset, int length);

    /** An empty stdin. */
    static InputSource empty() {
        return (position, into, offset, length) -> -1;
    }

    /** A stdin holding exactly {@code bytes}. */
    static InputSource of(byte[] bytes) {
        byte[] copy = bytes.clone();
        return (position, into, offset, length) -> {
            if (position >= copy.length) {
                return -1;
            }
            int n = (int) Math.min(length, copy.length - position);
            System.arraycopy(copy, (int) position, into, offset, n);
            return n;
        };
    }

    /**
     * A stdin served from the host's blob in place, however large. A host read failure reaches
     * the guest as EIO from fd_read.
     */
    static InputSource of(BlobContent content) {
        return (position, into, offset, length) -> {
            if (position >= content.size()) {
                return -1;
            }
            try {
                return content.read(position, into, offset, length);
            } catch (UncheckedIOException e) {
                throw new ErrnoException(
                        Errno.EIO, "cannot read stdin blob sha256:" + Node.hex(content) + ": " + e.getMessage());
            }
        };
    }
}
