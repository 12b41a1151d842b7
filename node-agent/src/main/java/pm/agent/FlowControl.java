package pm.agent;

import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.util.concurrent.locks.LockSupport;

/** Server-streaming calls that send from a blocking loop: wait until the caller can take more, so nothing piles up in memory. */
final class FlowControl {
    private FlowControl() {}

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
