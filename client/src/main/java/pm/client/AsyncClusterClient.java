package pm.client;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import pm.client.internal.ChunkedUpload;
import pm.client.internal.CoordinatorRouter;
import pm.client.internal.ImageFileHeader;
import pm.client.internal.ResumingStream;
import pm.v1.BlobChunk;
import pm.v1.BlobRef;
import pm.v1.CheckpointInfo;
import pm.v1.CheckpointRequest;
import pm.v1.ClusterEvent;
import pm.v1.ClusterGrpc;
import pm.v1.ClusterListRequest;
import pm.v1.ClusterListResponse;
import pm.v1.ClusterMigrateRequest;
import pm.v1.ClusterProcess;
import pm.v1.ClusterResumeRequest;
import pm.v1.ClusterSpawnRequest;
import pm.v1.DrainReport;
import pm.v1.DrainRequest;
import pm.v1.ExportRequest;
import pm.v1.FileRef;
import pm.v1.FileStat;
import pm.v1.ImageChunk;
import pm.v1.ImportHeader;
import pm.v1.LeaderInfo;
import pm.v1.LeaderRequest;
import pm.v1.LogChunk;
import pm.v1.LogsRequest;
import pm.v1.MigrationReport;
import pm.v1.NodeStatus;
import pm.v1.NodesRequest;
import pm.v1.NodesResponse;
import pm.v1.ProcessRef;
import pm.v1.RebalancePlan;
import pm.v1.RebalanceRequest;
import pm.v1.WriteFileRequest;

/**
 * The cluster's API as futures and streams. Give it any coordinators' addresses: calls find the leader
 * themselves (a standby's redirect, a coordinator that is down) and fail only with a
 * {@link ClusterClientException}, or {@link CoordinatorUnreachableException} when no leader can be
 * reached. Futures complete on gRPC threads; stream consumers run there too, one message at a time.
 * Thread-safe; {@link #close()} releases the channels.
 */
public final class AsyncClusterClient implements AutoCloseable {
    private final ClientSettings settings;
    private final CoordinatorRouter router;

    /** A client for the coordinators, deadlines and credentials of {@code settings}; channels open on first use. */
    public AsyncClusterClient(ClientSettings settings) {
        this.settings = settings;
        this.router = new CoordinatorRouter(settings.coordinators(), settings.credentials());
    }

    /** A client with the default deadlines for {@code host:port,host:port}. */
    public static AsyncClusterClient connect(String coordinators) {
        return new AsyncClusterClient(ClientSettings.of(coordinators));
    }

    /** Uploads each input too large to go inline (one after the other), then spawns naming them by hash. */
    public CompletableFuture<ClusterProcess> spawn(SpawnOptions options) {
        return spawn(options, TransferProgress.NONE);
    }

    /** As {@link #spawn(SpawnOptions)}, telling {@code progress} the bytes of the inputs uploaded so far. */
    public CompletableFuture<ClusterProcess> spawn(SpawnOptions options, TransferProgress progress) {
        java.util.List<Input> large = new java.util.ArrayList<>();
        options.files().values().stream().filter(i -> !SpawnOptions.inline(i)).forEach(large::add);
        if (!SpawnOptions.inline(options.stdin())) {
            large.add(options.stdin());
        }
        Map<Input, BlobRef> uploaded = new java.util.IdentityHashMap<>();
        AtomicLong before = new AtomicLong();
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (Input input : large) {
            chain = chain.thenCompose(v -> putBlob(input, sent -> progress.transferred(before.get() + sent)))
                    .thenAccept(ref -> {
                        uploaded.put(input, ref);
                        before.addAndGet(ref.getSize());
                    });
        }
        return chain.thenCompose(v -> spawn(options.toRequest(uploaded)));
    }

    /** Stores {@code input} on a node of the cluster; a spec then names it by the returned hash (FileEntry.sha256, stdin_sha256). */
    public CompletableFuture<BlobRef> putBlob(Input input, TransferProgress progress) {
        return CompletableFuture.supplyAsync(() -> router.leaderAddress(settings.callTimeout()))
                .thenCompose(address -> {
                    InputStream in;
                    try {
                        in = input.open();
                    } catch (IOException e) {
                        return CompletableFuture.failedFuture(
                                new UncheckedIOException("cannot read an input: " + e.getMessage(), e));
                    }
                    return ChunkedUpload.<BlobChunk, BlobRef>start(
                                    router.newCall(ClusterGrpc.getPutBlobMethod(), address, settings.transferTimeout()),
                                    in,
                                    BlobChunk.newBuilder()
                                            .setHeader(BlobRef.newBuilder().setSize(input.size()))
                                            .build(),
                                    data -> BlobChunk.newBuilder().setData(data).build(),
                                    "an input",
                                    progress)
                            .whenComplete((ref, e) -> closeQuietly(in));
                });
    }

    /**
     * Spawns {@code request}'s process; one without an id gets one here, so that a retry after a lost reply
     * (the router resends a call whose connection broke) names the same process and the leader starts it once.
     */
    public CompletableFuture<ClusterProcess> spawn(ClusterSpawnRequest request) {
        ClusterSpawnRequest named = request.getProcessId().isEmpty()
                ? request.toBuilder()
                        .setProcessId(java.util.UUID.randomUUID().toString())
                        .build()
                : request;
        return call(ClusterGrpc.getSpawnMethod(), named);
    }

    /** Every process the cluster knows. */
    public CompletableFuture<List<ClusterProcess>> list() {
        return list(ListFilter.all());
    }

    /** The processes {@code filter} matches. */
    public CompletableFuture<List<ClusterProcess>> list(ListFilter filter) {
        ClusterListRequest.Builder request = ClusterListRequest.newBuilder().putAllLabels(filter.labels());
        filter.node().ifPresent(request::setNode);
        return call(ClusterGrpc.getListMethod(), request.build()).thenApply(ClusterListResponse::getProcessesList);
    }

    /** The process's record, with its owner's live view while it runs. */
    public CompletableFuture<ClusterProcess> get(String processId) {
        return call(ClusterGrpc.getGetMethod(), ref(processId));
    }

    /** Stops a running process where it is, keeping it in memory on its node. */
    public CompletableFuture<ClusterProcess> freeze(String processId) {
        return call(ClusterGrpc.getFreezeMethod(), ref(processId));
    }

    /** Lets a frozen process go on (a running one is left as it is). */
    public CompletableFuture<ClusterProcess> thaw(String processId) {
        return call(ClusterGrpc.getThawMethod(), ref(processId));
    }

    /** Takes a full checkpoint of a running or frozen process. */
    public CompletableFuture<CheckpointInfo> checkpoint(String processId) {
        return checkpoint(processId, CheckpointOptions.full());
    }

    /** Takes a checkpoint of the kind {@code options} asks for. */
    public CompletableFuture<CheckpointInfo> checkpoint(String processId, CheckpointOptions options) {
        return call(
                ClusterGrpc.getCheckpointMethod(),
                CheckpointRequest.newBuilder()
                        .setProcessId(processId)
                        .setIncremental(options.isIncremental())
                        .build());
    }

    /** Checkpoints a process and stops it, freeing its node; {@link #resume} brings it back. */
    public CompletableFuture<ClusterProcess> suspend(String processId) {
        return longCall(ClusterGrpc.getSuspendMethod(), ref(processId));
    }

    /** Brings a suspended process back where placement picks. */
    public CompletableFuture<ClusterProcess> resume(String processId) {
        return longCall(
                ClusterGrpc.getResumeMethod(),
                ClusterResumeRequest.newBuilder().setProcessId(processId).build());
    }

    /** Brings a suspended process back on {@code node}. */
    public CompletableFuture<ClusterProcess> resume(String processId, String node) {
        return longCall(
                ClusterGrpc.getResumeMethod(),
                ClusterResumeRequest.newBuilder()
                        .setProcessId(processId)
                        .setNode(nodeName(node))
                        .build());
    }

    /** Moves a process to the best other node, as placement picks. */
    public CompletableFuture<MigrationReport> migrate(String processId) {
        return migrate(
                ClusterMigrateRequest.newBuilder().setProcessId(processId).build());
    }

    /** Moves a process to {@code node}. */
    public CompletableFuture<MigrationReport> migrate(String processId, String node) {
        return migrate(ClusterMigrateRequest.newBuilder()
                .setProcessId(processId)
                .setTargetNode(nodeName(node))
                .build());
    }

    /** Migrates as asked; the call carries a request id of its own, so a resend after a lost reply moves the process once. */
    public CompletableFuture<MigrationReport> migrate(ClusterMigrateRequest request) {
        ClusterMigrateRequest named = request.getRequestId().isEmpty()
                ? request.toBuilder()
                        .setRequestId(java.util.UUID.randomUUID().toString())
                        .build()
                : request;
        return longCall(ClusterGrpc.getMigrateMethod(), named);
    }

    /** Ends a process and forgets its checkpoints; on an ended process, removes what is left of it. */
    public CompletableFuture<ClusterProcess> kill(String processId) {
        return call(ClusterGrpc.getKillMethod(), ref(processId));
    }

    /** Streams the process's output written so far, from its first byte. */
    public StreamHandle logs(String processId, Consumer<? super LogChunk> consumer) {
        return logs(processId, LogOptions.written(), consumer);
    }

    /**
     * Streams the process's output from byte {@link LogOptions#fromOffset()} of its combined log. With
     * {@link LogOptions#follow()}, the stream goes on, across migrations, until the process ends; it has no
     * deadline then, and it picks up where it was if the coordinator goes away (a new leader is asked from
     * the next undelivered byte).
     */
    public StreamHandle logs(String processId, LogOptions options, Consumer<? super LogChunk> consumer) {
        if (options.isFollow()) {
            return ResumingStream.logs(router, processId, options.fromOffset(), consumer, settings.callTimeout());
        }
        LogsRequest request = LogsRequest.newBuilder()
                .setProcessId(processId)
                .setFromOffset(options.fromOffset())
                .build();
        return router.serverStream(ClusterGrpc.getLogsMethod(), request, settings.callTimeout(), consumer);
    }

    /** Streams each new cluster event, about any process, until closed. */
    public StreamHandle events(Consumer<? super ClusterEvent> consumer) {
        return events(EventOptions.newOnly(), consumer);
    }

    /**
     * Streams the cluster events {@code options} select until closed: first the kept ones it asks for, then
     * each new one. A stream broken by a leader change resumes at the next leader from the last index
     * delivered: nothing missed, nothing twice.
     */
    public StreamHandle events(EventOptions options, Consumer<? super ClusterEvent> consumer) {
        return ResumingStream.events(
                router, options.processId().orElse(""), options.sinceIndex(), consumer, settings.callTimeout());
    }

    /** The nodes the cluster knows, with their state and load. */
    public CompletableFuture<List<NodeStatus>> nodes() {
        return call(ClusterGrpc.getNodesMethod(), NodesRequest.getDefaultInstance())
                .thenApply(NodesResponse::getNodesList);
    }

    /** Marks the node draining and moves everything off it; the report says what moved and what could not. */
    public CompletableFuture<DrainReport> drain(String node) {
        return longCall(
                ClusterGrpc.getDrainMethod(),
                DrainRequest.newBuilder().setNode(node).build());
    }

    /**
     * Plans one rebalancing round and runs it; the plan says what was done and what failed. Takes the
     * transfer deadline, since a round moves processes.
     */
    public CompletableFuture<RebalancePlan> rebalance() {
        return longCall(
                ClusterGrpc.getRebalanceMethod(),
                RebalanceRequest.newBuilder().setDryRun(false).build());
    }

    /** Plans one rebalancing round without running it: what {@link #rebalance()} would move now. */
    public CompletableFuture<RebalancePlan> planRebalance() {
        return longCall(
                ClusterGrpc.getRebalanceMethod(),
                RebalanceRequest.newBuilder().setDryRun(true).build());
    }

    /**
     * Writes the image of a frozen or suspended process to {@code out} (which stays open); the future has
     * the number of bytes written. A failed write fails the future with an {@link UncheckedIOException}.
     */
    public CompletableFuture<Long> exportImage(String processId, OutputStream out, TransferProgress progress) {
        AtomicLong written = new AtomicLong();
        StreamHandle stream = router.serverStream(
                ClusterGrpc.getExportMethod(),
                ExportRequest.newBuilder().setProcessId(processId).build(),
                settings.transferTimeout(),
                chunk -> {
                    try {
                        chunk.getData().writeTo(out);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot write the image: " + e.getMessage(), e);
                    }
                    progress.transferred(written.addAndGet(chunk.getData().size()));
                });
        return stream.done().thenApply(v -> written.get());
    }

    /**
     * Copies the file at {@code path} (under /data) of a running, frozen or ended process to {@code out}
     * (which stays open); the future has the number of bytes. A running process pauses for the copy.
     */
    public CompletableFuture<Long> readFile(
            String processId, String path, OutputStream out, TransferProgress progress) {
        AtomicLong written = new AtomicLong();
        StreamHandle stream = router.serverStream(
                ClusterGrpc.getReadFileMethod(),
                FileRef.newBuilder().setProcessId(processId).setPath(path).build(),
                settings.transferTimeout(),
                chunk -> {
                    try {
                        chunk.getData().writeTo(out);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot write the copy: " + e.getMessage(), e);
                    }
                    progress.transferred(written.addAndGet(chunk.getData().size()));
                });
        return stream.done().thenApply(v -> written.get());
    }

    /** Uploads {@code input}, then makes it the file at {@code path} (under /data) of a running, frozen or ended process. */
    public CompletableFuture<FileStat> writeFile(
            String processId, String path, Input input, TransferProgress progress) {
        return putBlob(input, progress)
                .thenCompose(ref -> longCall(
                        ClusterGrpc.getWriteFileMethod(),
                        WriteFileRequest.newBuilder()
                                .setProcessId(processId)
                                .setPath(path)
                                .setContents(ref)
                                .build()));
    }

    /**
     * Imports an image read from {@code in} (an export's bytes); {@code header} names the process and
     * carries the module unless the cluster holds it (then the image's own module reference is sent, read
     * from its first chunk). Placed like a spawn. The stream cannot be replayed,
     * so the leader is looked up first rather than followed.
     */
    public CompletableFuture<ClusterProcess> importImage(
            InputStream in, ImportHeader header, TransferProgress progress) {
        InputStream image = in.markSupported() ? in : new BufferedInputStream(in, 1 << 16);
        ImportHeader complete;
        try {
            complete = withModuleReference(image, header);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(
                    new UncheckedIOException("cannot read the image: " + e.getMessage(), e));
        }
        return CompletableFuture.supplyAsync(() -> router.leaderAddress(settings.callTimeout()))
                .thenCompose(address -> ChunkedUpload.start(
                        router.newCall(ClusterGrpc.getImportMethod(), address, settings.transferTimeout()),
                        image,
                        ImageChunk.newBuilder().setHeader(complete).build(),
                        data -> ImageChunk.newBuilder().setData(data).build(),
                        "the image",
                        progress));
    }

    /**
     * The cluster needs the module, or its SHA-256 if it stores it already; an image names its module, so a
     * header that gives neither gets the image's own reference.
     */
    private static ImportHeader withModuleReference(InputStream image, ImportHeader header) throws IOException {
        if (!header.getModule().isEmpty() || !header.getSpec().getModuleSha256().isEmpty()) {
            return header;
        }
        return ImageFileHeader.peek(image)
                .map(h -> header.toBuilder()
                        .setSpec(header.getSpec().toBuilder().setModuleSha256(h.getModuleSha256()))
                        .build())
                .orElse(header);
    }

    /** Which coordinator leads, as the first reachable one sees it (standbys answer too). */
    /**
     * A one-time login URL for the coordinator's web console, bound to this client's certificate identity; {@code role}
     * "viewer" to browse with less than one's role, "" for one's own (without TLS: operator).
     */
    public CompletableFuture<pm.v1.ConsoleLoginResponse> consoleLogin(String role) {
        return call(
                ClusterGrpc.getConsoleLoginMethod(),
                pm.v1.ConsoleLoginRequest.newBuilder().setRole(role).build());
    }

    public CompletableFuture<LeaderInfo> leader() {
        return call(ClusterGrpc.getLeaderMethod(), LeaderRequest.getDefaultInstance());
    }

    /** The settings this client was made with. */
    public ClientSettings settings() {
        return settings;
    }

    @Override
    public void close() {
        router.close();
    }

    private <Q, R> CompletableFuture<R> call(io.grpc.MethodDescriptor<Q, R> method, Q request) {
        return router.unary(method, request, settings.callTimeout());
    }

    /** Calls that move a process's image between nodes take the transfer deadline. */
    private <Q, R> CompletableFuture<R> longCall(io.grpc.MethodDescriptor<Q, R> method, Q request) {
        return router.unary(method, request, settings.transferTimeout());
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // read to the end or abandoned: nothing to save
        }
    }

    /** An empty name used to mean "placement picks"; that is now the overload without a node. */
    private static String nodeName(String node) {
        if (node == null || node.isBlank()) {
            throw new IllegalArgumentException("a node name cannot be blank; leave the node out to let placement pick");
        }
        return node;
    }

    private static ProcessRef ref(String processId) {
        return ProcessRef.newBuilder().setProcessId(processId).build();
    }
}
