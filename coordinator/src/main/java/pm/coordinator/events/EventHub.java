package pm.coordinator.events;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.BooleanSupplier;
import pm.v1.ClusterEvent;

/**
 * Fan-out of cluster events to {@code Events} streams, kept in ZooKeeper ({@link EventLog}) while
 * this coordinator leads so that a client can resume from an index, also at the next leader. Each
 * subscriber has a bounded buffer drained as its stream is ready; one that falls further behind than
 * {@code bufferSize} new events is ended with RESOURCE_EXHAUSTED rather than slowing the coordinator
 * down (the events it asked to resume from do not count). Publishing is safe from any thread; kept
 * events reach subscribers from Curator's event thread, in index order; each subscriber's buffer is
 * guarded by its own lock.
 */
public final class EventHub {
    /** One line per event, so the coordinator's log tells each process's history too. */
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EventHub.class);

    private final Clock clock;
    private final int bufferSize;
    private final EventLog log;
    private final BooleanSupplier leading;
    private final Set<Subscriber> subscribers = new CopyOnWriteArraySet<>();

    /** {@code leading}: whether this coordinator leads now (only the leader keeps events: each coordinator sees nodes come and go). */
    public EventHub(Clock clock, int bufferSize, EventLog log, BooleanSupplier leading) {
        this.clock = clock;
        this.bufferSize = bufferSize;
        this.log = log;
        this.leading = leading;
    }

    public void publish(ClusterEvent.Kind kind, String processId, String node, long epoch, String detail) {
        LOG.info(
                "event {} process={} node={} epoch={}: {}",
                kind.name().substring("KIND_".length()).toLowerCase(java.util.Locale.ROOT),
                processId,
                node,
                epoch,
                detail);
        ClusterEvent event = ClusterEvent.newBuilder()
                .setKind(kind)
                .setTimeMillis(clock.millis())
                .setProcessId(processId)
                .setNode(node)
                .setEpoch(epoch)
                .setDetail(detail)
                .build();
        if (leading.getAsBoolean()) {
            log.append(event, this::deliver);
        } else {
            deliver(event);
        }
    }

    private void deliver(ClusterEvent event) {
        for (Subscriber s : subscribers) {
            s.offer(event);
        }
    }

    /**
     * Streams events (about {@code processId} only, unless empty) to {@code call} until it is
     * cancelled: given {@code sinceIndex}, first the kept ones above it, then each new one once.
     */
    public void subscribe(String processId, OptionalLong sinceIndex, ServerCallStreamObserver<ClusterEvent> call) {
        Subscriber s = new Subscriber(processId, call, sinceIndex.isPresent());
        call.setOnCancelHandler(() -> subscribers.remove(s));
        call.setOnReadyHandler(s::drain);
        subscribers.add(s); // before reading what is kept: what happens meanwhile is held, not missed
        if (sinceIndex.isPresent()) {
            try {
                s.resume(log.since(sinceIndex.getAsLong(), processId), sinceIndex.getAsLong());
            } catch (Exception e) {
                subscribers.remove(s);
                call.onError(Status.UNAVAILABLE
                        .withDescription("cannot read the kept events: " + e.getMessage())
                        .asRuntimeException());
            }
        }
    }

    public int subscribers() {
        return subscribers.size();
    }

    private final class Subscriber {
        private final String processId;
        private final ServerCallStreamObserver<ClusterEvent> call;
        private final ArrayDeque<ClusterEvent> buffer = new ArrayDeque<>();
        /** New events that arrived while the kept ones were read; null once resumed (or never resuming). */
        private List<ClusterEvent> held;
        /** The highest index queued: a new event at or below it came with the kept ones already. */
        private long last;

        private boolean ended;

        Subscriber(String processId, ServerCallStreamObserver<ClusterEvent> call, boolean resuming) {
            this.processId = processId;
            this.call = call;
            this.held = resuming ? new ArrayList<>() : null;
        }

        void offer(ClusterEvent e) {
            if (!processId.isEmpty() && !processId.equals(e.getProcessId())) {
                return;
            }
            synchronized (this) {
                if (ended) {
                    return;
                }
                if (held != null) {
                    held.add(e);
                    return;
                }
                if (e.getIndex() != 0 && e.getIndex() <= last) {
                    return;
                }
                if (buffer.size() >= bufferSize) {
                    ended = true;
                    subscribers.remove(this);
                    buffer.clear();
                    call.onError(Status.RESOURCE_EXHAUSTED
                            .withDescription("event subscriber fell " + bufferSize + " events behind")
                            .asRuntimeException());
                    return;
                }
                queue(e);
            }
            drain();
        }

        /** Queues the kept events above {@code since}, then the new ones held meanwhile that are not among them. */
        void resume(List<ClusterEvent> kept, long since) {
            synchronized (this) {
                last = since;
                kept.forEach(this::queue);
                List<ClusterEvent> meanwhile = held;
                held = null;
                for (ClusterEvent e : meanwhile) {
                    if (e.getIndex() == 0 || e.getIndex() > last) {
                        queue(e);
                    }
                }
            }
            drain();
        }

        private void queue(ClusterEvent e) {
            buffer.add(e);
            last = Math.max(last, e.getIndex());
        }

        synchronized void drain() {
            while (!ended && !buffer.isEmpty() && call.isReady() && !call.isCancelled()) {
                call.onNext(buffer.poll());
            }
        }
    }
}
