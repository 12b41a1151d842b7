package pm.coordinator.process;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;
import pm.coordinator.ClusterException;
import pm.coordinator.ClusterStatus;
import pm.coordinator.agent.AgentClients;
import pm.coordinator.zk.Membership;
import pm.v1.BlobChunk;
import pm.v1.BlobRef;
import pm.v1.NodeRecord;

/**
 * PutBlob: an input streamed from a client to the node with the most free memory, chunk by chunk.
 * The coordinator holds at most one chunk: it asks the client for the next only once the agent's
 * stream can take more (manual flow control on both calls), so a 1 GiB input passes through a small
 * heap. The agent checks size and hash; its answer (or refusal) is the client's. Whichever node later
 * runs a process naming the input fetches it from the holder. Runs on gRPC's threads; the one flag
 * shared between them is atomic.
 */
public final class BlobRelay {
    private final Membership membership;
    private final AgentClients agents;

    public BlobRelay(Membership membership, AgentClients agents) {
        this.membership = membership;
        this.agents = agents;
    }

    public StreamObserver<BlobChunk> upload(StreamObserver<BlobRef> out) {
        ServerCallStreamObserver<BlobRef> client = (ServerCallStreamObserver<BlobRef>) out;
        client.disableAutoRequest();
        NodeRecord node;
        try {
            node = membership.live().stream()
                    .filter(n -> !membership.isDraining(n.getName()))
                    .max(Comparator.comparingLong(n -> n.getCapacityBytes() - n.getMemoryBytes()))
                    .orElseThrow(() -> new ClusterException(
                            ClusterException.Reason.UNAVAILABLE, "no live node to store the input on"));
        } catch (RuntimeException e) {
            out.onError(ClusterStatus.toStatus(e));
            return new Discard();
        }
        AtomicBoolean wantsMore = new AtomicBoolean();
        AtomicBoolean ended = new AtomicBoolean();
        ClientCallStreamObserver<BlobChunk>[] toAgent = new ClientCallStreamObserver[1];
        // Ready until 4 MiB are queued: chunks go on back to back instead of one per round trip.
        agents.streaming(node).withOnReadyThreshold(4 << 20).putBlob(new ClientResponseObserver<BlobChunk, BlobRef>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<BlobChunk> call) {
                toAgent[0] = call;
                call.setOnReadyHandler(() -> {
                    if (wantsMore.compareAndSet(true, false)) {
                        client.request(1);
                    }
                });
            }

            @Override
            public void onNext(BlobRef stored) {
                if (!ended.getAndSet(true)) {
                    out.onNext(stored);
                    out.onCompleted();
                }
            }

            @Override
            public void onError(Throwable t) {
                if (!ended.getAndSet(true)) {
                    Status s = Status.fromThrowable(t);
                    out.onError(s.withDescription("node " + node.getName() + ": " + s.getDescription())
                            .asRuntimeException());
                }
            }

            @Override
            public void onCompleted() {}
        });
        client.request(2); // one chunk on its way while the last is forwarded
        return new StreamObserver<>() {
            @Override
            public void onNext(BlobChunk chunk) {
                ClientCallStreamObserver<BlobChunk> agent = toAgent[0];
                agent.onNext(chunk);
                wantsMore.set(true);
                if (agent.isReady() && wantsMore.compareAndSet(true, false)) {
                    client.request(1);
                }
            }

            @Override
            public void onError(Throwable t) {
                ended.set(true);
                toAgent[0].onError(Status.CANCELLED
                        .withDescription("the upload broke: " + t.getMessage())
                        .asRuntimeException());
            }

            @Override
            public void onCompleted() {
                toAgent[0].onCompleted();
            }
        };
    }

    /** Ignores what a refused call still sends. */
    private static final class Discard implements StreamObserver<BlobChunk> {
        @Override
        public void onNext(BlobChunk value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
    }
}
