package pm.coordinator.events;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import pm.v1.ClusterEvent;

/**
 * In-memory fan-out of cluster events to {@code Events} streams. Each subscriber has a bounded
 * buffer drained as its stream is ready; one that falls further behind than {@code bufferSize}
 * events is ended with RESOURCE_EXHAUSTED rather than slowing the coordinator down. Publishing is
 * safe from any thread; each subscriber's buffer is guarded by its own lock.
 */
public final class EventHub {
    /** One line per event, so the coordinator's log tells each process's history (which the stream does not keep). */
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(EventHub.class.getName());

    private final Clock clock;
    private final int bufferSize;
    private final Set<Subscriber> subscribers = new CopyOnWriteArraySet<>();

    public EventHub(Clock clock, int bufferSize) {
        this.clock = clock;
        this.bufferSize = bufferSize;
    }

    public void publish(ClusterEvent.Kind kind, String processId, String node, long epoch, String detail) {
        LOG.info(() -> "event " + kind.name().substring("KIND_".length()).toLowerCase(java.util.Locale.ROOT) + " process="
                + processId + " node=" + node + " epoch=" + epoch + ": " + detail);
        ClusterEvent event = ClusterEvent.newBuilder().setKind(kind).setTimeMillis(clock.millis()).setProcessId(processId)
                .setNode(node).setEpoch(epoch).setDetail(detail).build();
        for (Subscriber s : subscribers) {
            s.offer(event);
        }
    }

    /** Streams events (about {@code processId} only, unless empty) to {@code call} until it is cancelled. */
    public void subscribe(String processId, ServerCallStreamObserver<ClusterEvent> call) {
        Subscriber s = new Subscriber(processId, call);
        call.setOnCancelHandler(() -> subscribers.remove(s));
        call.setOnReadyHandler(s::drain);
        subscribers.add(s);
    }

    public int subscribers() {
        return subscribers.size();
    }

    private final class Subscriber {
        private final String processId;
        private final ServerCallStreamObserver<ClusterEvent> call;
        private final ArrayDeque<ClusterEvent> buffer = new ArrayDeque<>();
        private boolean ended;

        Subscriber(String processId, ServerCallStreamObserver<ClusterEvent> call) {
            this.processId = processId;
            this.call = call;
        }

        void offer(ClusterEvent e) {
            if (!processId.isEmpty() && !processId.equals(e.getProcessId())) {
                return;
            }
            synchronized (this) {
                if (ended) {
                    return;
                }
                if (buffer.size() >= bufferSize) {
                    ended = true;
                    subscribers.remove(this);
                    buffer.clear();
                    call.onError(Status.RESOURCE_EXHAUSTED
                            .withDescription("event subscriber fell " + bufferSize + " events behind").asRuntimeException());
                    return;
                }
                buffer.add(e);
            }
            drain();
        }

        synchronized void drain() {
            while (!ended && !buffer.isEmpty() && call.isReady() && !call.isCancelled()) {
                call.onNext(buffer.poll());
            }
        }
    }
}
