package pm.agent;

import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import pm.agent.channel.ChannelInbound;
import pm.agent.input.BlobUploadObserver;
import pm.agent.input.InputBlobs;
import pm.agent.migration.MigrationSource;
import pm.agent.migration.MigrationTarget;
import pm.agent.ownership.EpochFence;
import pm.agent.ownership.Ownership;
import pm.agent.process.HostedProcess;
import pm.agent.process.ProcessFactory;
import pm.agent.process.ProcessFiles;
import pm.agent.process.ProcessHost;
import pm.agent.process.ProcessLog;
import pm.agent.replica.CheckpointReplicas;
import pm.v1.CheckpointInfo;
import pm.v1.CheckpointRequest;
import pm.v1.DeliverReply;
import pm.v1.DeliverRequest;
import pm.v1.ExportRequest;
import pm.v1.ImageChunk;
import pm.v1.ImportHeader;
import pm.v1.ListRequest;
import pm.v1.ListResponse;
import pm.v1.LogChunk;
import pm.v1.LogsRequest;
import pm.v1.MigrateRequest;
import pm.v1.MigrationOutcome;
import pm.v1.MigrationRef;
import pm.v1.MigrationResult;
import pm.v1.MigrationStatusReply;
import pm.v1.NodeAgentGrpc;
import pm.v1.ProcessInfo;
import pm.v1.ProcessRef;
import pm.v1.ResumeRequest;
import pm.v1.SpawnRequest;
import pm.v1.TransferFrame;
import pm.v1.TransferReply;

/**
 * The {@code NodeAgent} gRPC service: validates requests, calls the {@link ProcessHost} and the
 * migration sides, and maps every error once ({@link StatusMapping}). Calls run on gRPC's executor.
 */
final class NodeAgentService extends NodeAgentGrpc.NodeAgentImplBase {
    private static final int EXPORT_CHUNK = 1 << 20;

    private final ProcessHost host;
    private final MigrationSource source;
    private final MigrationTarget target;
    private final long maxImportBytes;
    private final CheckpointReplicas replicas;
    private final EpochFence epochs;
    private final Ownership ownership;
    private final ChannelInbound inbound;
    private final InputBlobs inputs;
    private final ProcessFiles files;
    private final io.opentelemetry.api.trace.Tracer tracer;
    /** Processes whose image is streaming in: the coordinator must not take them for lost while it does. */
    private final Set<String> arriving = ConcurrentHashMap.newKeySet();

    NodeAgentService(
            ProcessHost host,
            MigrationSource source,
            MigrationTarget target,
            long maxImportBytes,
            EpochFence epochs,
            Ownership ownership,
            ChannelInbound inbound,
            CheckpointReplicas replicas,
            InputBlobs inputs,
            ProcessFiles files,
            io.opentelemetry.api.trace.Tracer tracer) {
        this.tracer = tracer;
        this.inputs = inputs;
        this.files = files;
        this.host = host;
        this.replicas = replicas;
        this.source = source;
        this.target = target;
        this.maxImportBytes = maxImportBytes;
        this.epochs = epochs;
        this.ownership = ownership;
        this.inbound = inbound;
    }

    /** The process id of a call about one process, once its epoch (if it carries one) is not stale. */
    private String admitted(String processId) {
        String id = id(processId);
        epochs.admit(id, host.find(id).map(h -> h.epoch).orElse(0L));
        return id;
    }

    /** The epoch a new process starts under here, once the ownership records agree. */
    private long startEpoch(String processId) {
        long epoch = EpochFence.callEpoch().orElse(1);
        if (ownership != Ownership.STANDALONE) {
            ownership.requireOwned(id(processId), epoch);
        }
        if (!processId.isEmpty()) {
            epochs.admit(processId, 0);
        }
        return epoch;
    }

    private static <T> void unary(StreamObserver<T> out, Callable<T> call) {
        T result;
        try {
            result = call.call();
        } catch (Exception e) {
            out.onError(StatusMapping.toStatus(e));
            return;
        }
        out.onNext(result);
        out.onCompleted();
    }

    private static String id(String processId) {
        if (processId.isEmpty()) {
            throw new AgentException(AgentException.Reason.BAD_REQUEST, "process_id is required");
        }
        return processId;
    }

    @Override
    public void spawn(SpawnRequest request, StreamObserver<ProcessInfo> out) {
        unary(
                out,
                () -> pm.common.tracing.Spans.call(
                        tracer,
                        pm.common.tracing.SpanNames.AGENT_SPAWN,
                        io.opentelemetry.api.common.Attributes.of(
                                pm.common.tracing.SpanNames.PROCESS_ID, request.getProcessId()),
                        () -> host.spawn(
                                request.getProcessId(), request.getSpec(), startEpoch(request.getProcessId()))));
    }

    @Override
    public void list(ListRequest request, StreamObserver<ListResponse> out) {
        unary(out, () -> {
            ListResponse.Builder b = ListResponse.newBuilder();
            for (HostedProcess h : host.all()) {
                if (hasLabels(h.spec.getLabelsMap(), request.getLabelsMap())) {
                    b.addProcesses(h.info(host.node()));
                }
            }
            return b.addAllArrivingProcessIds(arriving).build();
        });
    }

    @Override
    public void get(ProcessRef request, StreamObserver<ProcessInfo> out) {
        unary(out, () -> host.get(admitted(request.getProcessId())).info(host.node()));
    }

    @Override
    public void freeze(ProcessRef request, StreamObserver<ProcessInfo> out) {
        unary(out, () -> host.freeze(admitted(request.getProcessId())));
    }

    @Override
    public void thaw(ProcessRef request, StreamObserver<ProcessInfo> out) {
        unary(out, () -> host.thaw(admitted(request.getProcessId())));
    }

    @Override
    public void kill(ProcessRef request, StreamObserver<ProcessInfo> out) {
        unary(out, () -> host.kill(admitted(request.getProcessId())));
    }

    @Override
    public void checkpoint(CheckpointRequest request, StreamObserver<CheckpointInfo> out) {
        unary(out, () -> host.checkpoint(admitted(request.getProcessId()), request.getIncremental()));
    }

    @Override
    public void suspend(ProcessRef request, StreamObserver<CheckpointInfo> out) {
        unary(out, () -> host.suspend(admitted(request.getProcessId())));
    }

    @Override
    public void resume(ResumeRequest request, StreamObserver<ProcessInfo> out) {
        unary(out, () -> host.resume(admitted(request.getProcessId()), request.getCheckpointId()));
    }

    @Override
    public void logs(LogsRequest request, StreamObserver<LogChunk> out) {
        HostedProcess h;
        try {
            h = host.get(admitted(request.getProcessId()));
        } catch (RuntimeException e) {
            out.onError(StatusMapping.toStatus(e));
            return;
        }
        ServerCallStreamObserver<LogChunk> call = (ServerCallStreamObserver<LogChunk>) out;
        long from = request.getFromOffset();
        long kept = h.log.start();
        long[] dropped = {from < kept ? kept - from : 0};
        // Output older than the memory tail comes from disk first, at the reader's pace.
        try {
            from = h.log.readHistory(Math.max(from, kept), h.log.memoryStart(), chunk -> {
                try {
                    FlowControl.awaitReady(call);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                call.onNext(withDropped(chunk, dropped));
                h.log.taken(chunk.getOffset() + chunk.getData().size());
            });
        } catch (RuntimeException e) {
            if (!call.isCancelled()) {
                out.onError(StatusMapping.toStatus(e));
            }
            return;
        }
        ProcessLog.Follower follower = new ProcessLog.Follower() {
            private boolean finished;

            @Override
            public boolean accept(LogChunk chunk) {
                if (finished || call.isCancelled()) {
                    return false;
                }
                call.onNext(withDropped(chunk, dropped));
                h.log.taken(chunk.getOffset() + chunk.getData().size());
                return true;
            }

            @Override
            public void closed() {
                if (!finished && !call.isCancelled()) {
                    finished = true;
                    call.onCompleted();
                }
            }
        };
        call.setOnCancelHandler(() -> h.log.unsubscribe(follower));
        boolean open = h.log.read(Math.max(from, kept), follower, request.getFollow());
        if (!request.getFollow() || !open) {
            synchronized (h.log) {
                follower.closed();
            }
        }
    }

    /** The first chunk of a read says how many of the bytes asked for are gone; {@code dropped} is then cleared. */
    private static LogChunk withDropped(LogChunk chunk, long[] dropped) {
        if (dropped[0] == 0) {
            return chunk;
        }
        LogChunk first = chunk.toBuilder().setDroppedBefore(dropped[0]).build();
        dropped[0] = 0;
        return first;
    }

    @Override
    public void exportImage(ExportRequest request, StreamObserver<ImageChunk> out) {
        ServerCallStreamObserver<ImageChunk> call = (ServerCallStreamObserver<ImageChunk>) out;
        try (OutputStream chunks = new ChunkSender(call)) {
            host.images().export(admitted(request.getProcessId()), chunks);
        } catch (IOException | RuntimeException e) {
            out.onError(StatusMapping.toStatus(e));
            return;
        }
        out.onCompleted();
    }

    /** Sends what is written as 1 MiB image chunks, waiting while the caller is not ready (flow control). */
    private static final class ChunkSender extends OutputStream {
        private final ServerCallStreamObserver<ImageChunk> call;
        private final byte[] buffer = new byte[EXPORT_CHUNK];
        private int used;

        ChunkSender(ServerCallStreamObserver<ImageChunk> call) {
            this.call = call;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, buffer.length - used);
                System.arraycopy(b, off, buffer, used, n);
                used += n;
                off += n;
                len -= n;
                if (used == buffer.length) {
                    send();
                }
            }
        }

        private void send() throws IOException {
            FlowControl.awaitReady(call);
            call.onNext(ImageChunk.newBuilder()
                    .setData(ByteString.copyFrom(buffer, 0, used))
                    .build());
            used = 0;
        }

        @Override
        public void close() throws IOException {
            if (used > 0) {
                send();
            }
        }
    }

    @Override
    public StreamObserver<ImageChunk> importImage(StreamObserver<ProcessInfo> out) {
        return new StreamObserver<>() {
            private ImportHeader header;
            private final List<ByteString> parts = new ArrayList<>();
            private long bytes;
            private boolean failed;

            @Override
            public void onNext(ImageChunk chunk) {
                if (failed) {
                    return;
                }
                if (header == null) {
                    if (!chunk.hasHeader()) {
                        fail(new AgentException(AgentException.Reason.BAD_REQUEST, "an import starts with its header"));
                        return;
                    }
                    header = chunk.getHeader();
                    arriving.add(header.getProcessId());
                }
                bytes += chunk.getData().size();
                if (bytes > maxImportBytes) {
                    fail(new pm.runtime.LimitExceededException(
                            "image larger than the import limit of " + maxImportBytes + " bytes"));
                    return;
                }
                parts.add(chunk.getData());
            }

            private void fail(RuntimeException e) {
                failed = true;
                parts.clear();
                arrived();
                out.onError(StatusMapping.toStatus(e));
            }

            private void arrived() {
                if (header != null) {
                    arriving.remove(header.getProcessId());
                }
            }

            @Override
            public void onError(Throwable t) {
                parts.clear();
                arrived();
            }

            @Override
            public void onCompleted() {
                if (failed) {
                    return;
                }
                if (header == null) {
                    fail(new AgentException(AgentException.Reason.BAD_REQUEST, "empty import"));
                    return;
                }
                try {
                    unary(out, () -> {
                        var spec = header.getSpec().toBuilder();
                        if (!header.getModule().isEmpty()) {
                            spec.setModule(header.getModule());
                        }
                        List<java.io.InputStream> streams = new ArrayList<>();
                        for (ByteString p : parts) {
                            streams.add(p.newInput());
                        }
                        return host.images()
                                .importImage(
                                        header.getProcessId(),
                                        spec.build(),
                                        "",
                                        new SequenceInputStream(Collections.enumeration(streams)),
                                        startEpoch(header.getProcessId()),
                                        header.getLogTailList(),
                                        header.getLogOffset());
                    });
                } finally {
                    arrived();
                }
            }
        };
    }

    @Override
    public StreamObserver<pm.v1.BlobChunk> putBlob(StreamObserver<pm.v1.BlobRef> out) {
        return new BlobUploadObserver(inputs.store(), out);
    }

    @Override
    public void getBlob(pm.v1.BlobRef request, StreamObserver<pm.v1.BlobChunk> out) {
        ServerCallStreamObserver<pm.v1.BlobChunk> call = (ServerCallStreamObserver<pm.v1.BlobChunk>) out;
        call.setOnReadyThreshold(FlowControl.STREAM_BUFFER_BYTES);
        try {
            inputs.send(request, EXPORT_CHUNK, chunk -> {
                FlowControl.awaitReady(call);
                call.onNext(chunk);
            });
        } catch (IOException | RuntimeException e) {
            out.onError(StatusMapping.toStatus(e));
            return;
        }
        out.onCompleted();
    }

    @Override
    public void readFile(pm.v1.FileRef request, StreamObserver<pm.v1.FileChunk> out) {
        ServerCallStreamObserver<pm.v1.FileChunk> call = (ServerCallStreamObserver<pm.v1.FileChunk>) out;
        call.setOnReadyThreshold(FlowControl.STREAM_BUFFER_BYTES);
        try {
            ProcessFiles.Contents contents = files.read(admitted(request.getProcessId()), request.getPath());
            byte[] buffer = new byte[EXPORT_CHUNK];
            long at = 0;
            do {
                int n = Math.max(0, contents.read(at, buffer, 0, buffer.length));
                if (n == 0 && at < contents.size()) {
                    throw new IOException("the file ended early at " + at + " of " + contents.size() + " bytes");
                }
                FlowControl.awaitReady(call);
                pm.v1.FileChunk.Builder chunk = pm.v1.FileChunk.newBuilder().setData(ByteString.copyFrom(buffer, 0, n));
                call.onNext((at == 0 ? chunk.setSize(contents.size()) : chunk).build());
                at += n;
            } while (at < contents.size());
        } catch (IOException | RuntimeException e) {
            out.onError(StatusMapping.toStatus(e));
            return;
        }
        out.onCompleted();
    }

    @Override
    public void writeFile(pm.v1.WriteFileRequest request, StreamObserver<pm.v1.FileStat> out) {
        unary(out, () -> {
            String id = admitted(request.getProcessId());
            var blob = inputs.require(
                    request.getContents().getSha256(), request.getContents().getSize());
            long size = files.write(id, request.getPath(), blob);
            return pm.v1.FileStat.newBuilder()
                    .setPath(ProcessFactory.DATA_DIR + "/" + ProcessFiles.relative(request.getPath()))
                    .setSize(size)
                    .build();
        });
    }

    @Override
    public void getModule(pm.v1.ModuleRef request, StreamObserver<pm.v1.ModuleBytes> out) {
        unary(out, () -> {
            if (request.getSha256().size() != 32) {
                throw new AgentException(AgentException.Reason.BAD_REQUEST, "a module is named by its 32-byte SHA-256");
            }
            return pm.v1.ModuleBytes.newBuilder()
                    .setModule(ByteString.copyFrom(
                            host.modules().stored(request.getSha256().toByteArray())))
                    .build();
        });
    }

    @Override
    public void migrateOut(MigrateRequest request, StreamObserver<MigrationResult> out) {
        unary(
                out,
                () -> source.migrate(request.toBuilder()
                        .setProcessId(admitted(request.getProcessId()))
                        .build()));
    }

    @Override
    public void commitMigration(MigrationRef request, StreamObserver<MigrationOutcome> out) {
        unary(out, () -> {
            HostedProcess h = target.isPrepared(request.getMigrationId())
                    ? target.commit(request.getMigrationId())
                    : source.commit(request.getMigrationId(), false);
            return MigrationOutcome.newBuilder()
                    .setMigrationId(request.getMigrationId())
                    .setProcess(h.info(host.node()))
                    .build();
        });
    }

    @Override
    public void abortMigration(MigrationRef request, StreamObserver<MigrationOutcome> out) {
        unary(out, () -> {
            HostedProcess h = target.isPrepared(request.getMigrationId())
                    ? target.abort(request.getMigrationId())
                    : source.abort(request.getMigrationId());
            return MigrationOutcome.newBuilder()
                    .setMigrationId(request.getMigrationId())
                    .setProcess(h.info(host.node()))
                    .build();
        });
    }

    @Override
    public void migrationStatus(MigrationRef request, StreamObserver<MigrationStatusReply> out) {
        unary(
                out,
                () -> MigrationStatusReply.newBuilder()
                        .setDecision(source.status(request.getMigrationId(), request.getProcessId()))
                        .build());
    }

    @Override
    public StreamObserver<TransferFrame> transfer(StreamObserver<TransferReply> replies) {
        return target.receive(replies);
    }

    @Override
    public void deliver(DeliverRequest request, StreamObserver<DeliverReply> out) {
        unary(out, () -> inbound.deliver(request));
    }

    @Override
    public void replicate(pm.v1.ReplicateRequest request, StreamObserver<pm.v1.ReplicateReply> out) {
        unary(
                out,
                () -> replicas.replicate(request.toBuilder()
                        .setProcessId(admitted(request.getProcessId()))
                        .build()));
    }

    @Override
    public void replicaHeld(pm.v1.ReplicaQuery request, StreamObserver<pm.v1.ReplicaHeldReply> out) {
        unary(
                out,
                () -> replicas.held(request.toBuilder()
                        .setProcessId(id(request.getProcessId()))
                        .build()));
    }

    @Override
    public StreamObserver<pm.v1.ReplicaFrame> storeReplica(StreamObserver<pm.v1.ReplicaStored> out) {
        return replicas.receive(out);
    }

    @Override
    public void dropReplica(ProcessRef request, StreamObserver<pm.v1.ReplicaStored> out) {
        unary(out, () -> replicas.drop(id(request.getProcessId())));
    }

    @Override
    public void adopt(pm.v1.AdoptRequest request, StreamObserver<ProcessInfo> out) {
        unary(out, () -> switch (request.getState()) {
            case PROCESS_STATE_EXITED, PROCESS_STATE_FAILED ->
                host.ended().adoptReplica(id(request.getProcessId()), startEpoch(request.getProcessId()));
            default ->
                !request.getRetainedMigrationId().isEmpty()
                        ? host.images()
                                .adoptHandedOver(
                                        id(request.getProcessId()),
                                        request.getRetainedMigrationId(),
                                        request.getState(),
                                        startEpoch(request.getProcessId()))
                        : host.images()
                                .adoptReplica(
                                        id(request.getProcessId()),
                                        request.getCheckpointId(),
                                        request.getState(),
                                        startEpoch(request.getProcessId()));
        });
    }

    private static boolean hasLabels(Map<String, String> have, Map<String, String> want) {
        return have.entrySet().containsAll(want.entrySet());
    }
}
