package pm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Context;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.v1.MigrateRequest;
import pm.v1.MigrationResult;
import pm.v1.NodeAgentGrpc;
import pm.v1.ProcessRef;
import pm.v1.ProcessState;
import pm.v1.SpawnRequest;
import pm.v1.TransferFrame;
import pm.v1.TransferReply;

/**
 * The transfer stream is opened outside the MigrateOut call's context (so that call's end does not
 * cancel it), yet a caller who gives up mid-migration still stops it: the source cancels the stream
 * and the process runs on where it was.
 */
class MigrationCallerGivesUpTest {
    @TempDir
    Path dir;

    /** A target that accepts the stream and never answers; counts the stream's opening and its cancellation. */
    private static final class SilentTarget extends NodeAgentGrpc.NodeAgentImplBase {
        final CountDownLatch opened = new CountDownLatch(1);
        final CountDownLatch cancelled = new CountDownLatch(1);

        @Override
        public StreamObserver<TransferFrame> transfer(StreamObserver<TransferReply> replies) {
            opened.countDown();
            return new StreamObserver<>() {
                @Override
                public void onNext(TransferFrame frame) {}

                @Override
                public void onError(Throwable t) {
                    cancelled.countDown();
                }

                @Override
                public void onCompleted() {}
            };
        }
    }

    @Test
    void aCallerWhoGivesUpWhileTheTargetIsSilentLeavesTheProcessRunningAtTheSource() throws Exception {
        SilentTarget target = new SilentTarget();
        Server silent = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(target)
                .build()
                .start();
        try (Agents agents = new Agents(dir)) {
            NodeAgentServer a = agents.start("a");
            agents.stub(a)
                    .spawn(SpawnRequest.newBuilder()
                            .setProcessId("p1")
                            .setSpec(Agents.sleeper(1 << 20))
                            .build());
            Context.CancellableContext call = Context.current().withCancellation();
            call.run(() -> agents.asyncStub(a)
                    .migrateOut(
                            MigrateRequest.newBuilder()
                                    .setProcessId("p1")
                                    .setTarget("127.0.0.1:" + silent.getPort())
                                    .setCommit(true)
                                    .build(),
                            new StreamObserver<MigrationResult>() {
                                @Override
                                public void onNext(MigrationResult r) {}

                                @Override
                                public void onError(Throwable t) {}

                                @Override
                                public void onCompleted() {}
                            }));
            assertThat(target.opened.await(60, TimeUnit.SECONDS))
                    .as("the source opened its stream")
                    .isTrue();

            call.cancel(null);

            // Well inside the stream's own 60 s timeout: the caller's cancel, not the timeout, ended it.
            assertThat(target.cancelled.await(30, TimeUnit.SECONDS))
                    .as("the source cancelled its stream")
                    .isTrue();
            ProcessRef ref = ProcessRef.newBuilder().setProcessId("p1").build();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> agents.stub(a).get(ref).getState() == ProcessState.PROCESS_STATE_RUNNING);
        } finally {
            silent.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
