package pm.runtime.wasi;

/** Where a process's stdout or stderr bytes go; the embedder provides it (a buffer, a log stream). */
@FunctionalInterface
public interface OutputSink {
    void write(byte[] bytes, int offset, int length);
}
