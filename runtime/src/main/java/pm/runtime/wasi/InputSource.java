package pm.runtime.wasi;

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
}
