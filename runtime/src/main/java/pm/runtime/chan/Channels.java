package pm.runtime.chan;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import pm.runtime.StateFormatException;
import pm.v1.ChannelMessage;
import pm.v1.ChannelState;
import pm.v1.Destination;
import pm.v1.Mailbox;

/**
 * The channel state of one process: its inbox (a queue per mailbox), the highest sequence number
 * accepted from each sender (and the newest epoch each sender delivered from), and its outbox: per
 * destination process the messages with consecutive sequence numbers from 1 that the receiver
 * cannot be relied on to keep yet. An outbox message is <em>unsent</em> until the receiver accepted
 * it, then <em>retained</em> until the receiver calls it durable (a crash of the receiver's node
 * cannot lose it: a durable checkpoint covers it), and only then forgotten. A receiver that comes
 * back from an older state says so (a gap) and the retained messages after what it has are sent
 * again. It is part of the process, captured in its images beside the WASI session.
 *
 * <p>Threads: unlike the rest of a process, this is touched by three parties at once — the worker
 * running the guest (send, receive), the agent accepting deliveries for it, and the agent's
 * dispatcher taking and settling its outbox — so every method holds this object's monitor.
 * {@link #seal} makes {@link #accept} refuse until {@link #unseal}: a migration seals the copy it
 * has taken its final capture of, so nothing is accepted into a copy about to die.
 */
public final class Channels {
    /** The most bytes one message may carry. */
    public static final int MAX_MESSAGE_BYTES = 1 << 20;
    /**
     * An outbox holding this many messages, or bytes (sent and not yet durable at their receivers),
     * takes no more until some are: a receiver checkpointing rarely slows its senders down.
     */
    public static final int MAX_OUTBOX_MESSAGES = 8192;

    public static final long MAX_OUTBOX_BYTES = 32L << 20;
    /** An inbox holding this many messages, or bytes, accepts no more until the guest receives some. */
    public static final int MAX_INBOX_MESSAGES = 4096;

    public static final long MAX_INBOX_BYTES = 16L << 20;

    /** A message the guest has not received yet. */
    public record Incoming(String from, long seq, byte[] payload) {}

    /** A message the guest sent that its receiver cannot be relied on to keep yet. */
    public record Outgoing(String to, String mailbox, long seq, byte[] payload) {}

    /**
     * One destination with something kept for it: send {@code next}, or when it is null (all of it
     * accepted, some not durable yet) ask the receiver where it stands; {@code durableSeq} goes along.
     */
    public record Stream(String to, Outgoing next, long durableSeq) {}

    /** What {@link #accept} did with a delivery. */
    public enum Acceptance {
        ACCEPTED,
        /** Accepted before (its sequence number is not above the last accepted from that sender), or a probe. */
        DUPLICATE,
        /** The sender skipped messages this copy does not have (it came back from an older state). */
        GAP,
        /** A newer copy of the sender (a higher epoch) delivered before. */
        STALE_SENDER,
        /** Sealed for a migration's hand-off. */
        SEALED,
        /** The inbox is over its limits. */
        FULL
    }

    /** An {@link Acceptance} and how far the sender's stream reaches here after it. */
    public record Receipt(Acceptance acceptance, long acceptedSeq) {}

    private final Runnable outboxChanged;
    private final Map<String, ArrayDeque<Incoming>> inbox = new HashMap<>();
    private final Map<String, Long> accepted = new HashMap<>();
    private final Map<String, Long> senderEpochs = new HashMap<>();
    private final Map<String, Lane> outbox = new LinkedHashMap<>();
    private Map<String, Long> acceptedAtCapture = Map.of();
    private int inboxMessages;
    private long inboxBytes;
    private int outboxMessages;
    private long outboxBytes;
    private boolean sealed;
    /** The guest is parked in a blocking receive (transient: the re-run call sets it again). */
    private boolean waiting;

    /**
     * Per destination: the next sequence number; the retained messages (accepted there, up to
     * acceptedSeq) and then the unsent ones, oldest first; everything up to durableSeq is forgotten.
     */
    private static final class Lane {
        long nextSeq = 1;
        long acceptedSeq;
        long durableSeq;
        final ArrayDeque<Outgoing> retained = new ArrayDeque<>();
        final ArrayDeque<Outgoing> unsent = new ArrayDeque<>();
    }

    /** Empty channels; {@code outboxChanged} runs (on the guest's thread) after each send, to wake a dispatcher. */
    public Channels(Runnable outboxChanged) {
        this.outboxChanged = Objects.requireNonNull(outboxChanged, "outboxChanged");
    }

    public static Channels none() {
        return new Channels(() -> {});
    }

    // ---------------------------------------------------------------- the guest's side

    /**
     * Appends a message to the outbox under the next sequence number for {@code to}; false, with
     * nothing changed, if the outbox is over its limits.
     */
    public boolean send(String to, String mailbox, byte[] payload) {
        if (payload.length > MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("message of " + payload.length + " bytes exceeds " + MAX_MESSAGE_BYTES);
        }
        synchronized (this) {
            if (outboxMessages >= MAX_OUTBOX_MESSAGES || outboxBytes + payload.length > MAX_OUTBOX_BYTES) {
                return false;
            }
            Lane lane = outbox.computeIfAbsent(to, k -> new Lane());
            lane.unsent.addLast(new Outgoing(to, mailbox, lane.nextSeq++, payload));
            outboxMessages++;
            outboxBytes += payload.length;
        }
        outboxChanged.run();
        return true;
    }

    /** The oldest message of {@code mailbox}, left in place; null if it is empty. */
    public synchronized Incoming peek(String mailbox) {
        ArrayDeque<Incoming> q = inbox.get(mailbox);
        return q == null ? null : q.peekFirst();
    }

    /** Removes the oldest message of {@code mailbox}, which {@link #peek} returned. */
    public synchronized void take(String mailbox) {
        ArrayDeque<Incoming> q = inbox.get(mailbox);
        Incoming m = q.removeFirst();
        inboxMessages--;
        inboxBytes -= m.payload().length;
        if (q.isEmpty()) {
            inbox.remove(mailbox);
        }
    }

    /** Marks whether the guest is parked in a blocking receive (it then sleeps until woken, with no timer). */
    public synchronized void waiting(boolean value) {
        waiting = value;
    }

    public synchronized boolean waiting() {
        return waiting;
    }

    // ---------------------------------------------------------------- the agent's side: receiving

    /**
     * A delivery of message {@code seq} (0: a probe, no message) from the copy of {@code from} at
     * {@code epoch}, which has forgotten its messages up to {@code senderDurable}. Appended to
     * {@code mailbox} iff it is the next one from that sender. A sender forgets only what a receiver
     * called durable, so finding less than that here means this copy lost durable messages (it started
     * again from scratch): they are skipped, as lost.
     */
    public synchronized Receipt accept(
            String from, long epoch, long seq, long senderDurable, String mailbox, byte[] payload) {
        long have = accepted.getOrDefault(from, 0L);
        if (sealed) {
            return new Receipt(Acceptance.SEALED, have);
        }
        long newest = senderEpochs.getOrDefault(from, 0L);
        if (epoch < newest) {
            return new Receipt(Acceptance.STALE_SENDER, have);
        }
        if (epoch > newest) {
            senderEpochs.put(from, epoch);
        }
        if (have < senderDurable) {
            have = senderDurable;
            accepted.put(from, have);
        }
        if (seq <= have) {
            return new Receipt(Acceptance.DUPLICATE, have);
        }
        if (seq > have + 1) {
            return new Receipt(Acceptance.GAP, have);
        }
        if (inboxMessages >= MAX_INBOX_MESSAGES || inboxBytes + payload.length > MAX_INBOX_BYTES) {
            return new Receipt(Acceptance.FULL, have);
        }
        accepted.put(from, seq);
        inbox.computeIfAbsent(mailbox, k -> new ArrayDeque<>()).addLast(new Incoming(from, seq, payload));
        inboxMessages++;
        inboxBytes += payload.length;
        return new Receipt(Acceptance.ACCEPTED, seq);
    }

    /** The highest sequence number accepted from each sender as the last {@link #capture} saw it. */
    public synchronized Map<String, Long> acceptedAtCapture() {
        return acceptedAtCapture;
    }

    // ---------------------------------------------------------------- the agent's side: sending

    /** Every destination with something kept for it, in the order they were first sent to. */
    public synchronized List<Stream> streams() {
        List<Stream> streams = new ArrayList<>(outbox.size());
        for (Lane lane : outbox.values()) {
            if (!lane.unsent.isEmpty()) {
                streams.add(new Stream(lane.unsent.peekFirst().to(), lane.unsent.peekFirst(), lane.durableSeq));
            } else if (!lane.retained.isEmpty()) {
                streams.add(new Stream(lane.retained.peekFirst().to(), null, lane.durableSeq));
            }
        }
        return streams;
    }

    /**
     * The receiver {@code to} has every message up to {@code acceptedSeq} (they are not sent again)
     * and cannot lose those up to {@code durableSeq} (they are forgotten). Less than it had before
     * means it came back from an older state: the kept messages after what it has go again.
     */
    public synchronized void settled(String to, long acceptedSeq, long durableSeq) {
        Lane lane = outbox.get(to);
        if (lane == null) {
            return;
        }
        forget(lane.retained, durableSeq);
        forget(lane.unsent, durableSeq);
        lane.durableSeq = Math.max(lane.durableSeq, durableSeq);
        long has = Math.max(acceptedSeq, lane.durableSeq);
        if (has < lane.acceptedSeq) {
            while (!lane.retained.isEmpty() && lane.retained.peekLast().seq() > has) {
                lane.unsent.addFirst(lane.retained.removeLast());
            }
        } else {
            while (!lane.unsent.isEmpty() && lane.unsent.peekFirst().seq() <= has) {
                lane.retained.addLast(lane.unsent.removeFirst());
            }
        }
        lane.acceptedSeq = has;
    }

    private void forget(ArrayDeque<Outgoing> q, long upTo) {
        while (!q.isEmpty() && q.peekFirst().seq() <= upTo) {
            Outgoing m = q.removeFirst();
            outboxMessages--;
            outboxBytes -= m.payload().length;
        }
    }

    /** The receiver {@code to} has ended: nothing kept for it will ever be received. */
    public synchronized void dropStream(String to) {
        Lane lane = outbox.get(to);
        if (lane == null) {
            return;
        }
        forget(lane.retained, Long.MAX_VALUE);
        forget(lane.unsent, Long.MAX_VALUE);
        lane.acceptedSeq = lane.durableSeq = lane.nextSeq - 1;
    }

    /** Whether some message is kept for a receiver (sent or not). */
    public synchronized boolean hasOutgoing() {
        return outboxMessages > 0;
    }

    public synchronized int outboxSize() {
        return outboxMessages;
    }

    /** How many messages it has accepted, from all senders together. */
    public synchronized long acceptedCount() {
        return accepted.values().stream().mapToLong(Long::longValue).sum();
    }

    public synchronized int inboxSize() {
        return inboxMessages;
    }

    /** From now on {@link #accept} answers SEALED: this copy's state has been taken for a hand-off. */
    public synchronized void seal() {
        sealed = true;
    }

    /** The hand-off did not happen: accept again. */
    public synchronized void unseal() {
        sealed = false;
    }

    public synchronized boolean sealed() {
        return sealed;
    }

    // ---------------------------------------------------------------- state

    public synchronized ChannelState capture() {
        acceptedAtCapture = Map.copyOf(accepted);
        ChannelState.Builder out =
                ChannelState.newBuilder().putAllAccepted(accepted).putAllSenderEpochs(senderEpochs);
        inbox.forEach((name, q) -> {
            Mailbox.Builder box = Mailbox.newBuilder().setName(name);
            for (Incoming m : q) {
                box.addMessages(ChannelMessage.newBuilder()
                        .setFrom(m.from())
                        .setSeq(m.seq())
                        .setPayload(ByteString.copyFrom(m.payload())));
            }
            out.addMailboxes(box);
        });
        outbox.forEach((to, lane) -> {
            Destination.Builder d = Destination.newBuilder()
                    .setProcessId(to)
                    .setNextSeq(lane.nextSeq)
                    .setAcceptedSeq(lane.acceptedSeq)
                    .setDurableSeq(lane.durableSeq);
            for (ArrayDeque<Outgoing> q : List.of(lane.retained, lane.unsent)) {
                for (Outgoing m : q) {
                    d.addPending(ChannelMessage.newBuilder()
                            .setMailbox(m.mailbox())
                            .setSeq(m.seq())
                            .setPayload(ByteString.copyFrom(m.payload())));
                }
            }
            out.addOutbox(d);
        });
        return out.build();
    }

    /** Channels continuing {@code state} (null: empty), checked first; {@code outboxChanged} as for a new one. */
    public static Channels restore(ChannelState state, Runnable outboxChanged) {
        Channels c = new Channels(outboxChanged);
        if (state == null) {
            return c;
        }
        c.accepted.putAll(state.getAcceptedMap());
        c.senderEpochs.putAll(state.getSenderEpochsMap());
        c.acceptedAtCapture = Map.copyOf(c.accepted);
        for (Mailbox box : state.getMailboxesList()) {
            ArrayDeque<Incoming> q = c.inbox.computeIfAbsent(box.getName(), k -> new ArrayDeque<>());
            for (ChannelMessage m : box.getMessagesList()) {
                q.addLast(new Incoming(m.getFrom(), m.getSeq(), m.getPayload().toByteArray()));
                c.inboxMessages++;
                c.inboxBytes += m.getPayload().size();
            }
        }
        for (Destination d : state.getOutboxList()) {
            Lane lane = new Lane();
            lane.nextSeq = d.getNextSeq();
            long expect = d.getNextSeq() - d.getPendingCount();
            // Images from before durable acknowledgements carry 0 for both: everything pending was unsent.
            lane.durableSeq = expect - 1;
            lane.acceptedSeq = Math.max(d.getAcceptedSeq(), lane.durableSeq);
            if ((d.getDurableSeq() != 0 && d.getDurableSeq() != lane.durableSeq) || lane.acceptedSeq >= lane.nextSeq) {
                throw new StateFormatException("outbox to " + d.getProcessId() + " keeps " + d.getPendingCount()
                        + " messages before " + d.getNextSeq() + " but says durable " + d.getDurableSeq()
                        + ", accepted "
                        + d.getAcceptedSeq());
            }
            for (ChannelMessage m : d.getPendingList()) {
                if (m.getSeq() != expect++ || m.getSeq() < 1) {
                    throw new StateFormatException("outbox to " + d.getProcessId()
                            + " is not a run of sequence numbers ending at " + (d.getNextSeq() - 1));
                }
                Outgoing out = new Outgoing(
                        d.getProcessId(),
                        m.getMailbox(),
                        m.getSeq(),
                        m.getPayload().toByteArray());
                (out.seq() <= lane.acceptedSeq ? lane.retained : lane.unsent).addLast(out);
                c.outboxMessages++;
                c.outboxBytes += m.getPayload().size();
            }
            if (c.outbox.put(d.getProcessId(), lane) != null) {
                throw new StateFormatException("outbox names destination " + d.getProcessId() + " twice");
            }
        }
        return c;
    }

    /** The channel state in {@code bytes} (as a migration's final frame carries it; empty bytes: empty state). */
    public static ChannelState decode(ByteString bytes) {
        try {
            return ChannelState.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new StateFormatException("channel state corrupt: " + e.getMessage(), e);
        }
    }
}
