package pm.client;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
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

    /** A client for the coordinators, deadlines and credentials of {@code settings}; channels open on first use. */
    public ClusterClient(ClientSettings settings) {
        this.async = new AsyncClusterClient(settings);
    }

    /** A client with the default deadlines for {@code host:port,host:port}. */
    public static ClusterClient connect(String coordinators) {
        return new ClusterClient(ClientSettings.of(coordinators));
    }

    /** Starts a process as {@code options} describe, uploading large inputs first. */
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

    /** Starts the process {@code request} describes (the wire form; {@link SpawnOptions} is the usual way). */
    public ClusterProcess spawn(ClusterSpawnRequest request) {
        return await(async.spawn(request));
    }

    /** Every process the cluster knows. */
    public List<ClusterProcess> list() {
        return await(async.list());
    }

    /** The processes {@code filter} matches, for example {@code ListFilter.label("team", "a").withNode("n1")}. */
    public List<ClusterProcess> list(ListFilter filter) {
        return await(async.list(filter));
    }

    /** The process's record, with its owner's live view while it runs. */
    public ClusterProcess get(String processId) {
        return await(async.get(processId));
    }

    /** Stops a running process where it is, keeping it in memory on its node. */
    public ClusterProcess freeze(String processId) {
        return await(async.freeze(processId));
    }

    /** Lets a frozen process go on (a running one is left as it is). */
    public ClusterProcess thaw(String processId) {
        return await(async.thaw(processId));
    }

    /** Takes a full checkpoint of a running or frozen process. */
    public CheckpointInfo checkpoint(String processId) {
        return await(async.checkpoint(processId));
    }

    /** Takes a checkpoint of the kind {@code options} asks for ({@link CheckpointOptions#incremental()}, say). */
    public CheckpointInfo checkpoint(String processId, CheckpointOptions options) {
        return await(async.checkpoint(processId, options));
    }

    /** Checkpoints a process and stops it, freeing its node; {@link #resume} brings it back. */
    public ClusterProcess suspend(String processId) {
        return await(async.suspend(processId));
    }

    /** Brings a suspended process back where placement picks. */
    public ClusterProcess resume(String processId) {
        return await(async.resume(processId));
    }

    /** Brings a suspended process back on {@code node}. */
    public ClusterProcess resume(String processId, String node) {
        return await(async.resume(processId, node));
    }

    /** Moves a process to the best other node, as placement picks. */
    public MigrationReport migrate(String processId) {
        return await(async.migrate(processId));
    }

    /** Moves a process to {@code node}. */
    public MigrationReport migrate(String processId, String node) {
        return await(async.migrate(processId, node));
    }

    /** Migrates as the wire request asks (a resend after a lost reply moves the process once). */
    public MigrationReport migrate(ClusterMigrateRequest request) {
        return await(async.migrate(request));
    }

    /** Ends a process and forgets its checkpoints; on an ended process, removes what is left of it. */
    public ClusterProcess kill(String processId) {
        return await(async.kill(processId));
    }

    /** Delivers the process's output written so far. */
    public void logs(String processId, Consumer<? super LogChunk> consumer) {
        awaitStream(async.logs(processId, consumer));
    }

    /** Delivers the process's output as {@code options} say; with {@link LogOptions#follow()}, until the process ends. */
    public void logs(String processId, LogOptions options, Consumer<? super LogChunk> consumer) {
        awaitStream(async.logs(processId, options, consumer));
    }

    /** Delivers each new cluster event until interrupted. */
    public void events(Consumer<? super ClusterEvent> consumer) {
        awaitStream(async.events(consumer));
    }

    /** As {@link AsyncClusterClient#events(EventOptions, Consumer)}, until interrupted. */
    public void events(EventOptions options, Consumer<? super ClusterEvent> consumer) {
        awaitStream(async.events(options, consumer));
    }

    /** The nodes the cluster knows, with their state and load. */
    public List<NodeStatus> nodes() {
        return await(async.nodes());
    }

    /** Marks the node draining and moves everything off it; the report says what moved and what could not. */
    public DrainReport drain(String node) {
        return await(async.drain(node));
    }

    /** One rebalancing round, planned and run (see {@link RebalancePlan#getExecuted}). */
    public RebalancePlan rebalance() {
        return await(async.rebalance());
    }

    /** What one rebalancing round would move now, without moving anything. */
    public RebalancePlan planRebalance() {
        return await(async.planRebalance());
    }

    /** Writes the image of a frozen or suspended process to {@code out}; returns the bytes written. */
    public long exportImage(String processId, OutputStream out, TransferProgress progress) {
        return await(async.exportImage(processId, out, progress));
    }

    /** Imports an exported image as a new process; see {@link AsyncClusterClient#importImage}. */
    public ClusterProcess importImage(InputStream in, ImportHeader header, TransferProgress progress) {
        return await(async.importImage(in, header, progress));
    }

    /** A one-time login URL for the web console (see {@link AsyncClusterClient#consoleLogin}). */
    public pm.v1.ConsoleLoginResponse consoleLogin(String role) {
        return await(async.consoleLogin(role));
    }

    /** Which coordinator leads, as the first reachable one sees it. */
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
            throw new ClusterClientException(ErrorCode.CANCELLED, "interrupted while waiting for the cluster", e);
        } catch (CancellationException e) {
            throw new ClusterClientException(ErrorCode.CANCELLED, "cancelled", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new ClusterClientException(ErrorCode.UNKNOWN, String.valueOf(cause), cause);
        }
    }
}
