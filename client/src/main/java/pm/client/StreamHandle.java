package pm.client;

import java.util.concurrent.CompletableFuture;

/**
 * A running server stream (logs, events): {@link #done()} completes when the server ends it, and
 * completes exceptionally with a {@link ClusterClientException} if it fails; {@link #close()} cancels it,
 * after which {@code done()} completes normally.
 */
public interface StreamHandle extends AutoCloseable {
    CompletableFuture<Void> done();

    @Override
    void close();
}
