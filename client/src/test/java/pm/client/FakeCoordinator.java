package pm.client;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import pm.client.internal.LeaderHint;
import pm.v1.ClusterGrpc;
import pm.v1.ClusterProcess;
import pm.v1.LeaderInfo;
import pm.v1.LeaderRequest;
import pm.v1.LogChunk;
import pm.v1.LogsRequest;
import pm.v1.NodeRecord;
import pm.v1.NodeStatus;
import pm.v1.NodesRequest;
import pm.v1.NodesResponse;
import pm.v1.ProcessRef;

/**
 * Test support: a stand-in for a coordinator on a loopback port, to pin down how the SDK finds the leader.
 * As the leader it answers; as a standby it redirects the way the real one does (UNAVAILABLE, the
 * {@code pm-leader} trailer, "not the leader; the leader is at ..."). It counts the calls it received.
 */
final class FakeCoordinator implements AutoCloseable {
    private final Server server;
    private final AtomicInteger calls = new AtomicInteger();
    private volatile String leader; // null: this one leads
    private volatile boolean trailer = true;
    private volatile Status failure; // the leader's answer to every Get, if set
    private volatile int electingCalls;

    FakeCoordinator() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new Service())
                .build()
                .start();
    }

    String address() {
        return "127.0.0.1:" + server.getPort();
    }

    FakeCoordinator standbyFor(String leaderAddress, boolean withTrailer) {
        this.leader = leaderAddress;
        this.trailer = withTrailer;
        return this;
    }

    /** Answers its first {@code calls} calls as a standby during an election (no leader yet), then leads. */
    FakeCoordinator electingFor(int calls) {
        this.electingCalls = calls;
        return this;
    }

    FakeCoordinator failingWith(Status status) {
        this.failure = status;
        return this;
    }

    int calls() {
        return calls.get();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private final class Service extends ClusterGrpc.ClusterImplBase {
        /** True if this one leads; otherwise it has sent the redirect. */
        private boolean leads(StreamObserver<?> response) {
            if (calls.incrementAndGet() <= electingCalls) {
                response.onError(Status.UNAVAILABLE
                        .withDescription("not the leader; no leader is elected yet")
                        .asRuntimeException());
                return false;
            }
            String l = leader;
            if (l == null) {
                return true;
            }
            Metadata trailers = new Metadata();
            if (trailer) {
                trailers.put(LeaderHint.LEADER_TRAILER, l);
            }
            response.onError(Status.UNAVAILABLE
                    .withDescription("not the leader; the leader is at " + l)
                    .asRuntimeException(trailers));
            return false;
        }

        @Override
        public void nodes(NodesRequest request, StreamObserver<NodesResponse> response) {
            if (leads(response)) {
                response.onNext(NodesResponse.newBuilder()
                        .addNodes(NodeStatus.newBuilder()
                                .setRecord(NodeRecord.newBuilder().setName("served-by-" + address())))
                        .build());
                response.onCompleted();
            }
        }

        @Override
        public void get(ProcessRef request, StreamObserver<ClusterProcess> response) {
            if (leads(response)) {
                if (failure != null) {
                    response.onError(failure.asRuntimeException());
                    return;
                }
                response.onError(Status.NOT_FOUND
                        .withDescription("no process " + request.getProcessId())
                        .asRuntimeException());
            }
        }

        @Override
        public void logs(LogsRequest request, StreamObserver<LogChunk> response) {
            if (leads(response)) {
                if (request.getFollow()) {
                    followBreakingOnce(request, response);
                    return;
                }
                for (int i = 0; i < 3; i++) {
                    response.onNext(LogChunk.newBuilder()
                            .setOffset(i)
                            .setData(com.google.protobuf.ByteString.copyFromUtf8("x"))
                            .build());
                }
                response.onCompleted();
            }
        }

        /** Three bytes, then a broken stream; asked again, one byte it sent already and one more, then the end. */
        private void followBreakingOnce(LogsRequest request, StreamObserver<LogChunk> response) {
            if (request.getFromOffset() == 0) {
                for (int i = 0; i < 3; i++) {
                    response.onNext(LogChunk.newBuilder()
                            .setOffset(i)
                            .setData(com.google.protobuf.ByteString.copyFromUtf8("x"))
                            .build());
                }
                response.onError(Status.UNAVAILABLE
                        .withDescription("the coordinator is going away")
                        .asRuntimeException());
                return;
            }
            response.onNext(LogChunk.newBuilder()
                    .setOffset(2)
                    .setData(com.google.protobuf.ByteString.copyFromUtf8("xy"))
                    .build());
            response.onCompleted();
        }

        @Override
        public void leader(LeaderRequest request, StreamObserver<LeaderInfo> response) {
            calls.incrementAndGet();
            response.onNext(LeaderInfo.newBuilder()
                    .setThisAddress(address())
                    .setIsLeader(leader == null)
                    .setLeaderAddress(leader == null ? address() : leader)
                    .build());
            response.onCompleted();
        }
    }
}
