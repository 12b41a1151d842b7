package pm.agent.migration;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Context;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import pm.agent.AgentException;
import pm.v1.NodeAgentGrpc;
import pm.v1.TransferFrame;
import pm.v1.TransferReply;

/**
 * The source's end of one {@code Transfer} stream. {@link #send} blocks until the target has
 * granted enough credit, so the source never has more than the target's window in flight, and
 * while the transport has more than {@link TransferWindow#UNREADY_BYTES} queued since it last
 * said it was ready: waiting for readiness before every frame cost a hand-off between threads
 * per frame, also for the last pages inside the downtime. Used by one migrating thread; gRPC's
 * threads deliver replies and readiness under the monitor.
 *
 * <p>The stream is opened outside its caller's gRPC context ({@link #start}):
 * after the half-close the target closes it, a moment after the source's own call may have
 * answered, and the end of that call must not cancel it then. Until the half-close a caller who gives
 * up (deadline or cancel) still fails every wait here, and the migrating thread cancels the stream.
 */
final class TransferStream implements ClientResponseObserver<TransferFrame, TransferReply> {
    private final long timeoutNanos;
    /** The gRPC context of the call this migration serves; giving up there fails the stream's waits. */
    private final Context caller = Context.current();

    private final Context.CancellationListener callerGone = c -> callerGaveUp();
    private ClientCallStreamObserver<TransferFrame> requests;
    private long credit;
    private TransferReply last;
    private Throwable error;
    private boolean completed;
    private long bytesSent;
    /** Bytes handed to the transport since it last reported itself ready. */
    private long unreadyBytes;

    TransferStream(long timeoutMillis) {
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    /** Starts the call on {@code stub}, detached from the caller's cancellation (see the class comment). */
    void start(NodeAgentGrpc.NodeAgentStub stub) {
        caller.addListener(callerGone, MoreExecutors.directExecutor());
        caller.fork().run(() -> stub.transfer(this));
    }

    private synchronized void callerGaveUp() {
        if (error == null) {
            error = new AgentException(AgentException.Reason.UNAVAILABLE, "the caller gave up (deadline or cancel)");
        }
        notifyAll();
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<TransferFrame> requestStream) {
        this.requests = requestStream;
        requestStream.setOnReadyHandler(this::wakeUp);
    }

    private synchronized void wakeUp() {
        notifyAll();
    }

    @Override
    public synchronized void onNext(TransferReply reply) {
        credit += reply.getCreditBytes();
        if (!reply.getError().isEmpty()) {
            error = new AgentException(
                    AgentException.Reason.UNAVAILABLE, "target refused the migration: " + reply.getError());
        }
        last = reply;
        notifyAll();
    }

    @Override
    public synchronized void onError(Throwable t) {
        error = t;
        notifyAll();
    }

    @Override
    public synchronized void onCompleted() {
        completed = true;
        notifyAll();
    }

    /** Sends the opening frame: the target grants the window in its answer to it. */
    synchronized void open(TransferFrame begin) {
        requests.onNext(begin);
        bytesSent += begin.getSerializedSize();
    }

    /** Sends {@code frame} once the window allows it (a frame larger than the whole window waits for an empty one). */
    synchronized void send(TransferFrame frame) throws InterruptedException {
        long size = frame.getSerializedSize();
        long deadline = System.nanoTime() + timeoutNanos;
        while (error == null && (credit <= 0 || (credit < size && credit < TransferWindow.BYTES) || !ready(size))) {
            waitUntil(deadline, "credit from the target");
        }
        failIfBroken();
        unreadyBytes = requests.isReady() ? size : unreadyBytes + size;
        requests.onNext(frame);
        credit -= size;
        bytesSent += size;
    }

    private boolean ready(long size) {
        return requests.isReady() || unreadyBytes + size <= TransferWindow.UNREADY_BYTES;
    }

    /** Waits for a reply (after any already seen) that satisfies {@code wanted}. */
    synchronized TransferReply await(Predicate<TransferReply> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (error == null && (last == null || !wanted.test(last))) {
            if (completed) {
                throw new AgentException(AgentException.Reason.UNAVAILABLE, "target closed the migration stream");
            }
            waitUntil(deadline, "the target's answer");
        }
        failIfBroken();
        return last;
    }

    synchronized long bytesSent() {
        return bytesSent;
    }

    void finish() {
        caller.removeListener(callerGone);
        requests.onCompleted();
    }

    void cancel(String why) {
        caller.removeListener(callerGone);
        requests.cancel(why, null);
    }

    private void waitUntil(long deadline, String what) throws InterruptedException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new AgentException(AgentException.Reason.UNAVAILABLE, "timed out waiting for " + what);
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
    }

    private void failIfBroken() {
        if (error instanceof AgentException a) {
            throw a;
        }
        if (error != null) {
            throw new AgentException(
                    AgentException.Reason.UNAVAILABLE, "migration stream failed: " + error.getMessage(), error);
        }
    }
}
