package pm.coordinator.process;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import pm.coordinator.ClusterException;
import pm.coordinator.ClusterStatus;
import pm.coordinator.agent.AgentCall;
import pm.coordinator.agent.AgentClients;
import pm.coordinator.events.EventHub;
import pm.coordinator.placement.PlacementRequest;
import pm.coordinator.placement.Placer;
import pm.coordinator.zk.OwnershipStore;
import pm.v1.ClusterEvent;
import pm.v1.ClusterProcess;
import pm.v1.ExportRequest;
import pm.v1.ImageChunk;
import pm.v1.ImportHeader;
import pm.v1.LogChunk;
import pm.v1.LogsRequest;
import pm.v1.ModuleRef;
import pm.v1.NodeRecord;
import pm.v1.OwnershipRecord;
import pm.v1.Placement;
import pm.v1.ProcessInfo;
import pm.v1.ProcessState;

/**
 * Images in and out of the cluster, streamed through to and from agents without being held whole:
 * Export from the owner, Import onto a node placed like a spawn (record first, removed again if the
 * agent refuses), and the owner-to-node move a cross-node Resume makes. The Import stream's
 * callbacks are serialised by gRPC; the agent's reply arrives on one of its threads.
 */
public final class ImageTransfer {
    private static final long MOVE_TIMEOUT_SECONDS = 600;

    private final OwnershipStore store;
    private final Owners owners;
    private final Placer placer;
    private final AgentClients agents;
    private final ModuleCache modules;
    private final EventHub events;
    private final Clock clock;

    public ImageTransfer(
            OwnershipStore store,
            Owners owners,
            Placer placer,
            AgentClients agents,
            ModuleCache modules,
            EventHub events,
            Clock clock) {
        this.store = store;
        this.owners = owners;
        this.placer = placer;
        this.agents = agents;
        this.modules = modules;
        this.events = events;
        this.clock = clock;
    }

    /** Streams the owner's image of a frozen or suspended process to {@code out} (ends it too). */
    public void export(String id, StreamObserver<ImageChunk> out) {
        OwnershipRecord r = store.get(id).value();
        NodeRecord n = owners.require(r);
        Iterator<ImageChunk> chunks = agents.following(n, r.getEpoch())
                .exportImage(ExportRequest.newBuilder().setProcessId(id).build());
        try {
            while (chunks.hasNext()) {
                out.onNext(chunks.next());
            }
        } catch (StatusRuntimeException e) {
            throw AgentCall.named(n.getName(), e);
        }
        out.onCompleted();
    }

    /** Receives an image whose first chunk carries the header, onto a node placement picks; answers {@code out} once. */
    public StreamObserver<ImageChunk> importInto(StreamObserver<ClusterProcess> out) {
        return new StreamObserver<>() {
            private OwnershipRecord record;
            private NodeRecord node;
            private StreamObserver<ImageChunk> toAgent;
            private final CompletableFuture<ProcessInfo> reply = new CompletableFuture<>();
            private boolean failed;

            @Override
            public void onNext(ImageChunk chunk) {
                if (failed) {
                    return;
                }
                try {
                    if (toAgent == null) {
                        begin(chunk);
                    } else {
                        toAgent.onNext(chunk);
                    }
                } catch (RuntimeException e) {
                    fail(e);
                }
            }

            private void begin(ImageChunk first) {
                if (!first.hasHeader()) {
                    throw new ClusterException(ClusterException.Reason.BAD_REQUEST, "an import starts with its header");
                }
                ImportHeader h = first.getHeader();
                String id = ProcessLifecycle.processId(h.getProcessId());
                var sha = h.getModule().isEmpty() ? h.getSpec().getModuleSha256() : null;
                if (sha == null) {
                    ProcessLifecycle.requireWasm(h.getModule());
                    sha = modules.put(h.getModule());
                } else if (sha.isEmpty()) {
                    throw new ClusterException(
                            ClusterException.Reason.BAD_REQUEST, "an import needs the module or its sha256");
                }
                node = placer.place(PlacementRequest.of(h.getSpec(), Placement.getDefaultInstance(), Set.of()));
                record = OwnershipRecord.newBuilder()
                        .setProcessId(id)
                        .setOwner(node.getName())
                        .setEpoch(1)
                        .setState(ProcessState.PROCESS_STATE_RUNNING)
                        .setSpec(h.getSpec().toBuilder().clearModule().setModuleSha256(sha))
                        .setModuleSha256(sha)
                        .setUpdatedMillis(clock.millis())
                        .setCreatedMillis(clock.millis())
                        .build();
                store.create(record);
                toAgent = agents.streaming(node, 1).importImage(replyTo(reply));
                // the agent keeps the exported id unless told; the cluster names the process itself
                ImportHeader.Builder forwarded = h.toBuilder().setProcessId(id);
                if (h.getModule().isEmpty()) {
                    // Named by its SHA-256 only: the placed node may never have run it, so its bytes go along if cached
                    // here.
                    modules.get(sha).ifPresent(forwarded::setModule);
                }
                toAgent.onNext(first.toBuilder().setHeader(forwarded).build());
            }

            private void fail(RuntimeException e) {
                failed = true;
                if (toAgent != null) {
                    toAgent.onError(
                            Status.CANCELLED.withDescription("import failed").asRuntimeException());
                }
                if (record != null) {
                    store.delete(record.getProcessId(), 0);
                }
                out.onError(ClusterStatus.toStatus(e));
            }

            @Override
            public void onError(Throwable t) {
                if (!failed) {
                    fail(new ClusterException(
                            ClusterException.Reason.UNAVAILABLE, "the import stream broke: " + t.getMessage()));
                }
            }

            @Override
            public void onCompleted() {
                if (failed) {
                    return;
                }
                if (toAgent == null) {
                    fail(new ClusterException(ClusterException.Reason.BAD_REQUEST, "empty import"));
                    return;
                }
                toAgent.onCompleted();
                ProcessInfo info;
                try {
                    info = await(reply, node);
                } catch (RuntimeException e) {
                    failed = true;
                    store.delete(record.getProcessId(), 0);
                    out.onError(ClusterStatus.toStatus(e));
                    return;
                }
                events.publish(
                        ClusterEvent.Kind.KIND_IMPORTED,
                        record.getProcessId(),
                        node.getName(),
                        1,
                        "imported on " + node.getName());
                out.onNext(ProcessViews.of(record, info));
                out.onCompleted();
            }
        };
    }

    /**
     * Copies the image of suspended process {@code r} from {@code from} into {@code to}, where it
     * starts running; the caller then moves the record to {@code epoch}.
     */
    ProcessInfo move(OwnershipRecord r, NodeRecord from, NodeRecord to, long epoch) {
        CompletableFuture<ProcessInfo> reply = new CompletableFuture<>();
        StreamObserver<ImageChunk> sink = agents.streaming(to, epoch).importImage(replyTo(reply));
        ImportHeader.Builder header =
                ImportHeader.newBuilder().setProcessId(r.getProcessId()).setSpec(r.getSpec());
        // The module travels with the image: from this coordinator's cache, else from the old owner,
        // which stores every module it ran (a new leader's cache starts empty).
        header.setModule(modules.get(r.getModuleSha256()).orElseGet(() -> {
            ByteString module = AgentCall.on(
                            from.getName(),
                            () -> agents.blocking(from, r.getEpoch())
                                    .getModule(ModuleRef.newBuilder()
                                            .setSha256(r.getModuleSha256())
                                            .build()))
                    .getModule();
            modules.put(module);
            return module;
        }));
        try {
            // The output the old owner retained goes along, so the log and its offsets continue on the new node.
            Iterator<LogChunk> retained = agents.blocking(from, r.getEpoch())
                    .logs(LogsRequest.newBuilder()
                            .setProcessId(r.getProcessId())
                            .setFollow(false)
                            .build());
            long end = 0;
            while (retained.hasNext()) {
                LogChunk c = retained.next();
                header.addLogTail(c);
                end = c.getOffset() + c.getData().size();
            }
            header.setLogOffset(end);
        } catch (StatusRuntimeException e) {
            sink.onError(Status.CANCELLED
                    .withDescription("reading the retained output failed")
                    .asRuntimeException());
            throw AgentCall.named(from.getName(), e);
        }
        sink.onNext(ImageChunk.newBuilder().setHeader(header).build());
        try {
            Iterator<ImageChunk> chunks = agents.following(from, r.getEpoch())
                    .exportImage(ExportRequest.newBuilder()
                            .setProcessId(r.getProcessId())
                            .build());
            while (chunks.hasNext()) {
                sink.onNext(chunks.next());
            }
        } catch (StatusRuntimeException e) {
            sink.onError(Status.CANCELLED.withDescription("export failed").asRuntimeException());
            throw AgentCall.named(from.getName(), e);
        }
        sink.onCompleted();
        return await(reply, to);
    }

    private static StreamObserver<ProcessInfo> replyTo(CompletableFuture<ProcessInfo> reply) {
        return new StreamObserver<>() {
            @Override
            public void onNext(ProcessInfo value) {
                reply.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                reply.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                reply.completeExceptionally(
                        new ClusterException(ClusterException.Reason.UNAVAILABLE, "the agent sent no reply"));
            }
        };
    }

    private static ProcessInfo await(CompletableFuture<ProcessInfo> reply, NodeRecord node) {
        try {
            return reply.get(MOVE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException s) {
                throw AgentCall.named(node.getName(), s);
            }
            throw new ClusterException(
                    ClusterException.Reason.UNAVAILABLE,
                    "node " + node.getName() + ": " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new ClusterException(
                    ClusterException.Reason.UNAVAILABLE, "node " + node.getName() + " did not answer the import");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException(
                    ClusterException.Reason.UNAVAILABLE, "interrupted waiting for " + node.getName());
        }
    }
}
