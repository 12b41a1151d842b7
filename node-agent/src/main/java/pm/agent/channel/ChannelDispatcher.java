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
import java.util.logging.Level;
import java.util.logging.Logger;
import pm.runtime.chan.Channels;
import pm.v1.DeliverReply;
import pm.v1.DeliverRequest;
import pm.v1.NodeAgentGrpc;

/**
 * Sends the outboxes of this agent's processes: per (sender, destination) a lane with at most one
 * message in flight, the oldest unacknowledged, so each destination receives in order. A message
 * leaves the outbox only when the receiver's agent answered ACCEPTED or DUPLICATE. NOT_HERE with a
 * hint is followed at once (a bounded number of hops); NOT_HERE without one, or a failed call,
 * forgets the route and asks the {@link ProcessLocator} again after a back-off; RETRY_LATER backs
 * off. A receiver hosted here is delivered to without the network.
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
    private static final Logger LOG = Logger.getLogger(ChannelDispatcher.class.getName());
    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long DELIVER_TIMEOUT_MILLIS = 10_000;
    private static final int MAX_HOPS = 8;

    private enum State {
        LATENT,
        STARTED,
        CLOSED
    }

    /** One sender's stream to one destination process; the Channels instance is the sender's copy (identity). */
    private record Lane(String from, Channels channels, String to) {}

    /** Mutable per lane, owned by the dispatcher thread. */
    private static final class LaneState {
        boolean inFlight;
        long notBefore;
        long backoff;
        int hops;
    }

    /** A reply (or failure) of a delivery sent over the network, queued for the dispatcher thread. */
    private record Reply(Lane lane, long seq, String address, DeliverReply reply, Throwable error) {}

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

    public ChannelDispatcher(LocalProcesses local, ChannelInbound inbound, ProcessLocator locator,
            Function<String, ? extends Channel> channels, Doorbell doorbell) {
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
                LOG.log(Level.WARNING, "channel dispatch pass failed; going on", e);
            }
        }
    }

    /** Sends the head of every lane that is free and due; returns how long to wait before the next pass. */
    private long pass() {
        long now = System.nanoTime();
        long wait = IDLE_NANOS;
        Set<Lane> live = new HashSet<>();
        for (LocalProcesses.Sender s : local.senders()) {
            if (s.channels().sealed()) {
                continue;
            }
            for (Channels.Outgoing m : s.channels().heads()) {
                Lane lane = new Lane(s.processId(), s.channels(), m.to());
                live.add(lane);
                LaneState ls = lanes.computeIfAbsent(lane, k -> new LaneState());
                if (ls.inFlight) {
                    continue;
                }
                if (now < ls.notBefore) {
                    wait = Math.min(wait, ls.notBefore - now);
                    continue;
                }
                if (send(lane, ls, m)) {
                    wait = 0; // acknowledged at once (a local receiver): its next message may go now
                }
            }
        }
        lanes.entrySet().removeIf(e -> !e.getValue().inFlight && !live.contains(e.getKey()));
        return wait;
    }

    /** Sends {@code m}; true if it was settled at once (a local delivery) and acknowledged. */
    private boolean send(Lane lane, LaneState ls, Channels.Outgoing m) {
        DeliverRequest request = DeliverRequest.newBuilder()
                .setToProcess(m.to())
                .setMailbox(m.mailbox())
                .setFromProcess(lane.from())
                .setSeq(m.seq())
                .setPayload(ByteString.copyFrom(m.payload()))
                .build();
        if (!(local.receiver(m.to()) instanceof LocalProcesses.Absent)) {
            DeliverReply reply = inbound.deliver(request);
            settle(new Reply(lane, m.seq(), "", reply, null));
            return isAck(reply);
        }
        String address = routes.get(m.to());
        if (address == null) {
            Optional<String> found = locator.addressOf(m.to());
            if (found.isEmpty()) {
                backOff(ls); // unknown for now: the message waits in the outbox
                return false;
            }
            address = found.get();
            routes.put(m.to(), address);
        }
        ls.inFlight = true;
        String to = address;
        NodeAgentGrpc.newStub(channels.apply(to)).withDeadlineAfter(DELIVER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .deliver(request, new StreamObserver<>() {
                    @Override
                    public void onNext(DeliverReply reply) {
                        replies.add(new Reply(lane, m.seq(), to, reply, null));
                        doorbell.ring();
                    }

                    @Override
                    public void onError(Throwable t) {
                        replies.add(new Reply(lane, m.seq(), to, null, t));
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
        // The acknowledgement goes to the copy that sent, even if that copy has since been sealed: it is true of it.
        if (r.reply() != null && isAck(r.reply())) {
            r.lane().channels().acknowledge(r.lane().to(), r.seq());
        }
        LaneState ls = lanes.get(r.lane());
        if (ls == null) {
            return;
        }
        ls.inFlight = false;
        String to = r.lane().to();
        if (r.error() != null) {
            routes.remove(to);
            backOff(ls);
            return;
        }
        switch (r.reply().getOutcome()) {
            case OUTCOME_ACCEPTED, OUTCOME_DUPLICATE -> {
                ls.backoff = 0;
                ls.notBefore = 0;
                ls.hops = 0;
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
