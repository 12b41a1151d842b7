package pm.agent;

import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.util.concurrent.locks.LockSupport;

/** Server-streaming calls that send from a blocking loop: wait until the caller can take more, so nothing piles up in memory. */
final class FlowControl {
    private FlowControl() {}

    /** How much a server stream may queue before it waits (gRPC's default, 32 KiB, is less than one 1 MiB message). */
    static final int STREAM_BUFFER_BYTES = 4 << 20;

    /** Returns once {@code call} is ready for the next message; IOException if the caller went away. */
    static void awaitReady(ServerCallStreamObserver<?> call) throws IOException {
        while (!call.isReady()) {
            if (call.isCancelled()) {
                throw new IOException("the caller went away");
            }
            LockSupport.parkNanos(200_000);
        }
    }
}
