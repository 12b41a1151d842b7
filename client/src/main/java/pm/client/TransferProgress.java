package pm.client;

/** Told the running total of image bytes moved so far; called on a gRPC thread, once per chunk. */
@FunctionalInterface
public interface TransferProgress {
    TransferProgress NONE = bytes -> {};

    void transferred(long bytes);
}
