package pm.agent.channel;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.runtime.chan.Channels;
import pm.v1.DeliverReply;
import pm.v1.DeliverRequest;
import pm.v1.NodeAgentGrpc;

/**
 * Sends the outboxes of this agent's processes: per (sender, destination) a lane with at most one
 * call in flight, carrying the oldest message the receiver has not accepted, so each destination
 * receives in order. ACCEPTED or DUPLICATE moves the lane on; a message the receiver accepted stays
 * in the outbox until the receiver calls it durable, and a lane holding only such messages asks the
 * receiver (a probe) every {@code PROBE} until it does. GAP (the receiver came back from an older
 * checkpoint) sends again from what it has. NOT_HERE with a hint is followed at once (a bounded
 * number of hops); NOT_HERE without one, or a failed call, forgets the route and asks the
 * {@link ProcessLocator} again after a back-off; RETRY_LATER backs off; ENDED drops the lane's
 * messages; STALE_SENDER (a newer copy of the sender is heard) leaves this copy's lane silent.
 * A receiver hosted here is delivered to without the network.
 *
 * <p>A sender whose channels are sealed (its migration took the final capture) is not sent from:
 * its outbox travels in the final frame and the target's dispatcher goes on. A message in flight
 * when that happened may reach the receiver twice (once from each copy): the receiver's dedupe
 * answers the second DUPLICATE.
 *
 * <p>Threads: one thread ({@code pm-agent-channels}) owns the lanes and the route cache; reply
 * callbacks on gRPC threads only queue the reply and ring the {@link Doorbell}. Lifecycle: LATENT →
 * STARTED ({@link #start}) → CLOSED ({@link #close}, idempotent).
 */
public final class ChannelDispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChannelDispatcher.class);
    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How long a lane whose messages are all accepted, not all durable, waits between probes. */
    private static final long PROBE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private static final long DELIVER_TIMEOUT_MILLIS = 10_000;
    private static final int MAX_HOPS = 8;

    private enum State {
        LATENT,
        STARTED,
        CLOSED
    }

    /** One sender's stream to one destination process; the Channels instance is the sender's copy (identity). */
    private record Lane(String from, long epoch, Channels channels, String to) {}

    /** Mutable per lane, owned by the dispatcher thread. */
    private static final class LaneState {
        boolean inFlight;
        long notBefore;
        long backoff;
        int hops;
        /** A newer copy of the sender was heard: this copy sends nothing more (it is about to be dropped). */
        boolean stale;
    }

    /** A reply (or failure) of a delivery sent over the network, queued for the dispatcher thread. */
    private record Reply(Lane lane, String address, DeliverReply reply, Throwable error) {}

    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final LocalProcesses local;
    private final ChannelInbound inbound;
    private final ProcessLocator locator;
    private final Function<String, ? extends Channel> channels;
    private final Doorbell doorbell;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Reply> replies = new ConcurrentLinkedQueue<>();
    private final Map<Lane, LaneState> lanes = new HashMap<>();
    private final Map<String, String> routes = new HashMap<>();

    public ChannelDispatcher(
            LocalProcesses local,
            ChannelInbound inbound,
            ProcessLocator locator,
            Function<String, ? extends Channel> channels,
            Doorbell doorbell) {
        this.local = local;
        this.inbound = inbound;
        this.locator = locator;
        this.channels = channels;
        this.doorbell = doorbell;
        this.thread = new Thread(this::loop, "pm-agent-channels");
        thread.setDaemon(true);
    }

    public void start() {
        if (state.compareAndSet(State.LATENT, State.STARTED)) {
            thread.start();
        }
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.STARTED) {
            thread.interrupt();
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        while (state.get() == State.STARTED) {
            try {
                for (Reply r = replies.poll(); r != null; r = replies.poll()) {
                    settle(r);
                }
                doorbell.await(pass());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // A bug in one pass must not end delivery for every process of this agent.
                LOG.warn("channel dispatch pass failed; going on", e);
            }
        }
    }

    /** Sends the head (or a probe) of every lane that is free and due; returns how long to wait before the next pass. */
    private long pass() {
        long now = System.nanoTime();
        long wait = IDLE_NANOS;
        Set<Lane> live = new HashSet<>();
        for (LocalProcesses.Sender s : local.senders()) {
            if (s.channels().sealed()) {
                continue;
            }
            for (Channels.Stream stream : s.channels().streams()) {
                Lane lane = new Lane(s.processId(), s.epoch(), s.channels(), stream.to());
                live.add(lane);
                LaneState ls = lanes.computeIfAbsent(lane, k -> new LaneState());
                if (ls.inFlight || ls.stale) {
                    continue;
                }
                if (now < ls.notBefore) {
                    wait = Math.min(wait, ls.notBefore - now);
                    continue;
                }
                if (send(lane, ls, stream)) {
                    wait = 0; // settled at once (a local receiver): its next message may go now
                }
            }
        }
        lanes.entrySet().removeIf(e -> !e.getValue().inFlight && !live.contains(e.getKey()));
        return wait;
    }

    /** Sends the stream's next message, or a probe if it has none; true if it was settled at once (a local receiver). */
    private boolean send(Lane lane, LaneState ls, Channels.Stream stream) {
        Channels.Outgoing m = stream.next();
        DeliverRequest.Builder request = DeliverRequest.newBuilder()
                .setToProcess(stream.to())
                .setFromProcess(lane.from())
                .setFromEpoch(lane.epoch())
                .setDurableSeq(stream.durableSeq());
        if (m != null) {
            request.setMailbox(m.mailbox()).setSeq(m.seq()).setPayload(ByteString.copyFrom(m.payload()));
        }
        if (!(local.receiver(stream.to()) instanceof LocalProcesses.Absent)) {
            DeliverReply reply = inbound.deliver(request.build());
            settle(new Reply(lane, "", reply, null));
            return m != null && isAck(reply);
        }
        String address = routes.get(stream.to());
        if (address == null) {
            Optional<String> found = locator.addressOf(stream.to());
            if (found.isEmpty()) {
                backOff(ls); // unknown for now: the message waits in the outbox
                return false;
            }
            address = found.get();
            routes.put(stream.to(), address);
        }
        ls.inFlight = true;
        String to = address;
        NodeAgentGrpc.newStub(channels.apply(to))
                .withDeadlineAfter(DELIVER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .deliver(request.build(), new StreamObserver<>() {
                    @Override
                    public void onNext(DeliverReply reply) {
                        replies.add(new Reply(lane, to, reply, null));
                        doorbell.ring();
                    }

                    @Override
                    public void onError(Throwable t) {
                        replies.add(new Reply(lane, to, null, t));
                        doorbell.ring();
                    }

                    @Override
                    public void onCompleted() {}
                });
        return false;
    }

    private static boolean isAck(DeliverReply reply) {
        return reply.getOutcome() == DeliverReply.Outcome.OUTCOME_ACCEPTED
                || reply.getOutcome() == DeliverReply.Outcome.OUTCOME_DUPLICATE;
    }

    private void settle(Reply r) {
        String to = r.lane().to();
        Channels sender = r.lane().channels();
        // What the receiver says is true of the copy that sent, even if that copy has since been sealed.
        if (r.reply() != null) {
            switch (r.reply().getOutcome()) {
                case OUTCOME_ACCEPTED, OUTCOME_DUPLICATE, OUTCOME_GAP ->
                    sender.settled(to, r.reply().getAcceptedSeq(), r.reply().getDurableSeq());
                case OUTCOME_ENDED -> sender.dropStream(to);
                default -> {}
            }
        }
        LaneState ls = lanes.get(r.lane());
        if (ls == null) {
            return;
        }
        ls.inFlight = false;
        if (r.error() != null) {
            routes.remove(to);
            backOff(ls);
            return;
        }
        switch (r.reply().getOutcome()) {
            case OUTCOME_ACCEPTED, OUTCOME_DUPLICATE, OUTCOME_GAP, OUTCOME_ENDED -> {
                ls.backoff = 0;
                ls.hops = 0;
                // Nothing left to send but messages not durable yet: ask again in a while, not at once.
                ls.notBefore = sender.streams().stream().anyMatch(s -> s.to().equals(to) && s.next() == null)
                        ? System.nanoTime() + PROBE_NANOS
                        : 0;
            }
            case OUTCOME_STALE_SENDER -> {
                ls.stale = true;
                LOG.warn("process " + r.lane().from() + " at epoch " + r.lane().epoch() + ": " + to
                        + " has heard from a newer copy of it; this copy sends nothing more");
            }
            case OUTCOME_NOT_HERE -> {
                String hint = r.reply().getHint();
                if (!hint.isEmpty() && !hint.equals(r.address()) && ls.hops < MAX_HOPS) {
                    routes.put(to, hint); // follow the hand-off at once
                    ls.hops++;
                    ls.notBefore = 0;
                } else {
                    routes.remove(to);
                    ls.hops = 0;
                    backOff(ls);
                }
            }
            default -> backOff(ls); // RETRY_LATER: the receiver is between homes or its inbox is full
        }
    }

    private static void backOff(LaneState ls) {
        ls.backoff = ls.backoff == 0 ? FIRST_BACKOFF_NANOS : Math.min(MAX_BACKOFF_NANOS, ls.backoff * 2);
        ls.notBefore = System.nanoTime() + ls.backoff;
    }
}
