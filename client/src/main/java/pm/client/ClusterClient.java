package pm.client;

import io.grpc.Status;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import pm.v1.CheckpointInfo;
import pm.v1.ClusterEvent;
import pm.v1.ClusterMigrateRequest;
import pm.v1.ClusterProcess;
import pm.v1.ClusterSpawnRequest;
import pm.v1.DrainReport;
import pm.v1.ImportHeader;
import pm.v1.LeaderInfo;
import pm.v1.LogChunk;
import pm.v1.MigrationReport;
import pm.v1.NodeStatus;
import pm.v1.RebalancePlan;

/**
 * The cluster's API as blocking calls: each returns the server's answer or throws a
 * {@link ClusterClientException} ({@link CoordinatorUnreachableException} when no leader can be reached).
 * Streams ({@link #logs}, {@link #events}) block until the server ends them or the calling thread is
 * interrupted, which cancels them; their consumers run on a gRPC thread, one message at a time.
 * Built on {@link AsyncClusterClient}, so both follow the leader the same way. Thread-safe.
 */
public final class ClusterClient implements AutoCloseable {
    private final AsyncClusterClient async;

    public ClusterClient(ClientSettings settings) {
        this.async = new AsyncClusterClient(settings);
    }

    /** A client with the default deadlines for {@code host:port,host:port}. */
    public static ClusterClient connect(String coordinators) {
        return new ClusterClient(ClientSettings.of(coordinators));
    }

    public ClusterProcess spawn(SpawnOptions options) {
        return await(async.spawn(options));
    }

    /** Spawns, telling {@code progress} how many bytes of large inputs were uploaded first. */
    public ClusterProcess spawn(SpawnOptions options, TransferProgress progress) {
        return await(async.spawn(options, progress));
    }

    /** Copies a file of a process's /data to {@code out}; returns the number of bytes. */
    public long readFile(String processId, String path, java.io.OutputStream out, TransferProgress progress) {
        return await(async.readFile(processId, path, out, progress));
    }

    /** Makes {@code input} the file at {@code path} of a process's /data. */
    public pm.v1.FileStat writeFile(String processId, String path, Input input, TransferProgress progress) {
        return await(async.writeFile(processId, path, input, progress));
    }

    /** Stores an input on a node; a spec names it by the returned SHA-256 and size. */
    public pm.v1.BlobRef putBlob(Input input, TransferProgress progress) {
        return await(async.putBlob(input, progress));
    }

    public ClusterProcess spawn(ClusterSpawnRequest request) {
        return await(async.spawn(request));
    }

    public List<ClusterProcess> list() {
        return await(async.list());
    }

    public List<ClusterProcess> list(Map<String, String> labels, String node) {
        return await(async.list(labels, node));
    }

    public ClusterProcess get(String processId) {
        return await(async.get(processId));
    }

    public ClusterProcess freeze(String processId) {
        return await(async.freeze(processId));
    }

    public ClusterProcess thaw(String processId) {
        return await(async.thaw(processId));
    }

    public CheckpointInfo checkpoint(String processId, boolean incremental) {
        return await(async.checkpoint(processId, incremental));
    }

    public ClusterProcess suspend(String processId) {
        return await(async.suspend(processId));
    }

    public ClusterProcess resume(String processId, String node) {
        return await(async.resume(processId, node));
    }

    public MigrationReport migrate(String processId, String node) {
        return await(async.migrate(processId, node));
    }

    public MigrationReport migrate(ClusterMigrateRequest request) {
        return await(async.migrate(request));
    }

    public ClusterProcess kill(String processId) {
        return await(async.kill(processId));
    }

    /** Delivers the process's output from {@code fromOffset}; with {@code follow}, until the process ends. */
    public void logs(String processId, boolean follow, long fromOffset, Consumer<? super LogChunk> consumer) {
        awaitStream(async.logs(processId, follow, fromOffset, consumer));
    }

    /** Delivers new cluster events (about {@code processId} only unless empty) until interrupted. */
    public void events(String processId, Consumer<? super ClusterEvent> consumer) {
        awaitStream(async.events(processId, consumer));
    }

    /** As {@link AsyncClusterClient#events(String, long, Consumer)}, until interrupted. */
    public void events(String processId, long sinceIndex, Consumer<? super ClusterEvent> consumer) {
        awaitStream(async.events(processId, sinceIndex, consumer));
    }

    public List<NodeStatus> nodes() {
        return await(async.nodes());
    }

    public DrainReport drain(String node) {
        return await(async.drain(node));
    }

    /** One rebalancing round: the plan only with {@code dryRun}, else the plan run (see {@link RebalancePlan#getExecuted}). */
    public RebalancePlan rebalance(boolean dryRun) {
        return await(async.rebalance(dryRun));
    }

    /** Writes the image of a frozen or suspended process to {@code out}; returns the bytes written. */
    public long exportImage(String processId, OutputStream out, TransferProgress progress) {
        return await(async.exportImage(processId, out, progress));
    }

    public ClusterProcess importImage(InputStream in, ImportHeader header, TransferProgress progress) {
        return await(async.importImage(in, header, progress));
    }

    /** A one-time login URL for the web console (see {@link AsyncClusterClient#consoleLogin}). */
    public pm.v1.ConsoleLoginResponse consoleLogin(String role) {
        return await(async.consoleLogin(role));
    }

    public LeaderInfo leader() {
        return await(async.leader());
    }

    /** The same client's futures and streams. */
    public AsyncClusterClient async() {
        return async;
    }

    @Override
    public void close() {
        async.close();
    }

    private static void awaitStream(StreamHandle stream) {
        try {
            await(stream.done());
        } finally {
            stream.close();
        }
    }

    /**
     * The future's value, or its failure as thrown by the SDK. An interrupt cancels the call (for a stream,
     * the caller's {@code finally} does) and leaves the thread interrupted.
     */
    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new ClusterClientException(Status.Code.CANCELLED, "interrupted while waiting for the cluster", e);
        } catch (CancellationException e) {
            throw new ClusterClientException(Status.Code.CANCELLED, "cancelled", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new ClusterClientException(Status.Code.UNKNOWN, String.valueOf(cause), cause);
        }
    }
}
