package pm.runtime.wasi;

/** Where a process's stdout or stderr bytes go; the embedder provides it (a buffer, a log stream). */
@FunctionalInterface
public interface OutputSink {
    void write(byte[] bytes, int offset, int length);

    /**
     * Whether a write may come now. False makes the guest wait in its write (the process sleeps until
     * the embedder wakes it, then writes again): backpressure from a reader that is behind.
     */
    default boolean ready() {
        return true;
    }
}
