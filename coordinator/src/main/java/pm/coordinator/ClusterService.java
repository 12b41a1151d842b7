package pm.coordinator;

import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.coordinator.events.EventHub;
import pm.coordinator.migration.Drainer;
import pm.coordinator.migration.MigrationOrchestrator;
import pm.coordinator.process.BlobRelay;
import pm.coordinator.process.FileCopy;
import pm.coordinator.process.ImageTransfer;
import pm.coordinator.process.LogFollower;
import pm.coordinator.process.ProcessLifecycle;
import pm.coordinator.process.ProcessQueries;
import pm.coordinator.rebalance.Rebalancer;
import pm.coordinator.zk.Membership;
import pm.coordinator.zk.OwnershipCache;
import pm.coordinator.zk.RequestLedger;
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
import pm.v1.EventsRequest;
import pm.v1.ExportRequest;
import pm.v1.ImageChunk;
import pm.v1.LeaderInfo;
import pm.v1.LeaderRequest;
import pm.v1.LogChunk;
import pm.v1.LogsRequest;
import pm.v1.MigrationReport;
import pm.v1.NodeRecord;
import pm.v1.NodeStatus;
import pm.v1.NodesRequest;
import pm.v1.NodesResponse;
import pm.v1.ProcessRef;
import pm.v1.RebalancePlan;
import pm.v1.RebalanceRequest;
import pm.v1.RequestOutcome;

/**
 * The {@code Cluster} gRPC service: the edge where requests are checked, handed to the component
 * that owns them, and every error is mapped once ({@link ClusterStatus}). Standbys never get here
 * but for {@code Leader} ({@link LeaderGate}). Calls run on gRPC's executor threads.
 */
final class ClusterService extends ClusterGrpc.ClusterImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterService.class);
    private final ProcessLifecycle lifecycle;
    private final ProcessQueries queries;
    private final MigrationOrchestrator migrations;
    /** Mutating calls by method and request id, in memory: a resend (or one arriving meanwhile) gets the first one's outcome. */
    private final RecentCalls<Message> recentCalls = new RecentCalls<>(
            4096, e -> RequestLedger.isFinal(ClusterStatus.toStatus(e).getStatus()));
    /** The same outcomes in ZooKeeper: a resend that reaches a new leader is answered too. */
    private final RequestLedger ledger;

    private final Drainer drainer;
    private final LogFollower logs;
    private final ImageTransfer images;
    private final EventHub events;
    private final Membership membership;
    private final OwnershipCache records;
    private final Supplier<LeaderInfo> leader;
    private final Rebalancer rebalancer;
    private final BlobRelay blobs;
    private final FileCopy files;
    private final pm.coordinator.console.ConsoleLogins console;

    ClusterService(
            ProcessLifecycle lifecycle,
            ProcessQueries queries,
            MigrationOrchestrator migrations,
            Drainer drainer,
            LogFollower logs,
            ImageTransfer images,
            EventHub events,
            Membership membership,
            OwnershipCache records,
            Supplier<LeaderInfo> leader,
            Rebalancer rebalancer,
            BlobRelay blobs,
            FileCopy files,
            RequestLedger ledger,
            pm.coordinator.console.ConsoleLogins console) {
        this.console = console;
        this.ledger = ledger;
        this.blobs = blobs;
        this.files = files;
        this.lifecycle = lifecycle;
        this.queries = queries;
        this.migrations = migrations;
        this.drainer = drainer;
        this.logs = logs;
        this.images = images;
        this.events = events;
        this.membership = membership;
        this.records = records;
        this.leader = leader;
        this.rebalancer = rebalancer;
    }

    private static <T> void unary(StreamObserver<T> out, Callable<T> call) {
        T result;
        try {
            result = call.call();
        } catch (Exception e) {
            out.onError(ClusterStatus.toStatus(e));
            return;
        }
        out.onNext(result);
        out.onCompleted();
    }

    /** As {@link #unary}, answered with the first outcome if the client sent this call (its request id header) before. */
    private <T extends Message> void once(String method, Parser<T> parser, StreamObserver<T> out, Callable<T> call) {
        once(method, RequestIds.current(), parser, out, call);
    }

    @SuppressWarnings("unchecked")
    private <T extends Message> void once(
            String method, String requestId, Parser<T> parser, StreamObserver<T> out, Callable<T> call) {
        unary(
                out,
                () -> requestId.isEmpty()
                        ? call.call()
                        : (T) recentCalls.once(
                                method + "/" + requestId, () -> firstOutcome(method, requestId, parser, call)));
    }

    /** The outcome recorded for this request (by this leader or one before it), or the call's own, recorded if final. */
    private <T extends Message> T firstOutcome(String method, String requestId, Parser<T> parser, Callable<T> call) {
        Optional<RequestOutcome> recorded = ledger.find(method, requestId);
        if (recorded.isPresent()) {
            return RequestLedger.replay(recorded.get(), parser);
        }
        T reply;
        try {
            reply = call.call();
        } catch (Exception e) {
            StatusRuntimeException failed = ClusterStatus.toStatus(e);
            try {
                ledger.recordFailure(method, requestId, failed.getStatus());
            } catch (RuntimeException unrecorded) {
                LOG.warn(
                        "request " + requestId + " (" + method + "): outcome not recorded: " + unrecorded.getMessage());
            }
            throw failed;
        }
        try {
            ledger.recordReply(method, requestId, reply);
        } catch (RuntimeException unrecorded) {
            // Answered all the same; only a resend that reaches another leader would act again.
            LOG.warn("request " + requestId + " (" + method + "): outcome not recorded: " + unrecorded.getMessage());
        }
        return reply;
    }

    private static String id(String processId) {
        if (processId.isEmpty()) {
            throw new ClusterException(ClusterException.Reason.BAD_REQUEST, "process_id is required");
        }
        return processId;
    }

    @Override
    public void spawn(ClusterSpawnRequest request, StreamObserver<ClusterProcess> out) {
        unary(out, () -> lifecycle.spawn(request));
    }

    @Override
    public void list(ClusterListRequest request, StreamObserver<ClusterListResponse> out) {
        unary(out, () -> queries.list(request));
    }

    @Override
    public void get(ProcessRef request, StreamObserver<ClusterProcess> out) {
        unary(out, () -> queries.get(id(request.getProcessId())));
    }

    @Override
    public void freeze(ProcessRef request, StreamObserver<ClusterProcess> out) {
        once("freeze", ClusterProcess.parser(), out, () -> lifecycle.freeze(id(request.getProcessId())));
    }

    @Override
    public void thaw(ProcessRef request, StreamObserver<ClusterProcess> out) {
        once("thaw", ClusterProcess.parser(), out, () -> lifecycle.thaw(id(request.getProcessId())));
    }

    @Override
    public void checkpoint(CheckpointRequest request, StreamObserver<CheckpointInfo> out) {
        once(
                "checkpoint",
                CheckpointInfo.parser(),
                out,
                () -> lifecycle.checkpoint(request.toBuilder()
                        .setProcessId(id(request.getProcessId()))
                        .build()));
    }

    @Override
    public void suspend(ProcessRef request, StreamObserver<ClusterProcess> out) {
        once("suspend", ClusterProcess.parser(), out, () -> lifecycle.suspend(id(request.getProcessId())));
    }

    @Override
    public void resume(ClusterResumeRequest request, StreamObserver<ClusterProcess> out) {
        once(
                "resume",
                ClusterProcess.parser(),
                out,
                () -> lifecycle.resume(request.toBuilder()
                        .setProcessId(id(request.getProcessId()))
                        .build()));
    }

    @Override
    public void migrate(ClusterMigrateRequest request, StreamObserver<MigrationReport> out) {
        String requestId = request.getRequestId().isEmpty() ? RequestIds.current() : request.getRequestId();
        once(
                "migrate",
                requestId,
                MigrationReport.parser(),
                out,
                () -> migrations.migrate(
                        id(request.getProcessId()),
                        request.getTargetNode(),
                        request.getDowntimeBudgetMicros(),
                        requestId));
    }

    @Override
    public void kill(ProcessRef request, StreamObserver<ClusterProcess> out) {
        once("kill", ClusterProcess.parser(), out, () -> lifecycle.kill(id(request.getProcessId())));
    }

    @Override
    public void logs(LogsRequest request, StreamObserver<LogChunk> out) {
        try {
            logs.follow(
                    request.toBuilder().setProcessId(id(request.getProcessId())).build(), out);
        } catch (Exception e) {
            out.onError(ClusterStatus.toStatus(e));
        }
    }

    @Override
    public void events(EventsRequest request, StreamObserver<ClusterEvent> out) {
        events.subscribe(
                request.getProcessId(),
                request.hasSinceIndex()
                        ? java.util.OptionalLong.of(request.getSinceIndex())
                        : java.util.OptionalLong.empty(),
                (ServerCallStreamObserver<ClusterEvent>) out);
    }

    @Override
    public void nodes(NodesRequest request, StreamObserver<NodesResponse> out) {
        unary(out, () -> {
            // Counts from the watch-fed view: a Nodes call costs the number of nodes, not of processes.
            NodesResponse.Builder b = NodesResponse.newBuilder();
            membership.live().stream()
                    .sorted(java.util.Comparator.comparing(NodeRecord::getName))
                    .forEach(n -> b.addNodes(NodeStatus.newBuilder()
                            .setRecord(n)
                            .setDraining(membership.isDraining(n.getName()))
                            .setOwnedProcesses(records.ownedBy(n.getName()))));
            return b.build();
        });
    }

    @Override
    public void drain(DrainRequest request, StreamObserver<DrainReport> out) {
        once("drain", DrainReport.parser(), out, () -> {
            if (request.getNode().isEmpty()) {
                throw new ClusterException(ClusterException.Reason.BAD_REQUEST, "node is required");
            }
            return drainer.drain(request.getNode());
        });
    }

    @Override
    public void export(ExportRequest request, StreamObserver<ImageChunk> out) {
        try {
            images.export(id(request.getProcessId()), out);
        } catch (Exception e) {
            out.onError(ClusterStatus.toStatus(e));
        }
    }

    @Override
    public StreamObserver<ImageChunk> import_(StreamObserver<ClusterProcess> out) {
        return images.importInto(out);
    }

    @Override
    public StreamObserver<pm.v1.BlobChunk> putBlob(StreamObserver<pm.v1.BlobRef> out) {
        return blobs.upload(out);
    }

    @Override
    public void readFile(pm.v1.FileRef request, StreamObserver<pm.v1.FileChunk> out) {
        try {
            files.read(
                    request.toBuilder().setProcessId(id(request.getProcessId())).build(),
                    (io.grpc.stub.ServerCallStreamObserver<pm.v1.FileChunk>) out);
        } catch (Exception e) {
            out.onError(ClusterStatus.toStatus(e));
            return;
        }
        out.onCompleted();
    }

    @Override
    public void writeFile(pm.v1.WriteFileRequest request, StreamObserver<pm.v1.FileStat> out) {
        once(
                "writeFile",
                pm.v1.FileStat.parser(),
                out,
                () -> files.write(request.toBuilder()
                        .setProcessId(id(request.getProcessId()))
                        .build()));
    }

    @Override
    public void rebalance(RebalanceRequest request, StreamObserver<RebalancePlan> out) {
        unary(out, () -> rebalancer.rebalance(request.getDryRun()));
    }

    @Override
    public void leader(LeaderRequest request, StreamObserver<LeaderInfo> out) {
        unary(out, leader::get);
    }

    /** A one-time console login URL for the caller (its certificate's identity; nobody's without TLS). */
    @Override
    public void consoleLogin(pm.v1.ConsoleLoginRequest request, StreamObserver<pm.v1.ConsoleLoginResponse> out) {
        unary(out, () -> console.issue(pm.common.security.RoleAuthorizer.CALLER.get(), request.getRole()));
    }
}
