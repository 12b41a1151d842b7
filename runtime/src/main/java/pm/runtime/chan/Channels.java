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
 * accepted from each sender, and its outbox (per destination process, the messages not yet
 * acknowledged with consecutive sequence numbers from 1). It is part of the process, captured in
 * its images beside the WASI session.
 *
 * <p>Threads: unlike the rest of a process, this is touched by three parties at once — the worker
 * running the guest (send, receive), the agent accepting deliveries for it, and the agent's
 * dispatcher taking and acknowledging its outbox — so every method holds this object's monitor.
 * {@link #seal} makes {@link #accept} refuse until {@link #unseal}: a migration seals the copy it
 * has taken its final capture of, so nothing is accepted into a copy about to die.
 */
public final class Channels {
    /** The most bytes one message may carry. */
    public static final int MAX_MESSAGE_BYTES = 1 << 20;
    /** An outbox holding this many messages, or bytes, takes no more until some are acknowledged. */
    public static final int MAX_OUTBOX_MESSAGES = 1024;
    public static final long MAX_OUTBOX_BYTES = 4L << 20;
    /** An inbox holding this many messages, or bytes, accepts no more until the guest receives some. */
    public static final int MAX_INBOX_MESSAGES = 4096;
    public static final long MAX_INBOX_BYTES = 16L << 20;

    /** A message the guest has not received yet. */
    public record Incoming(String from, long seq, byte[] payload) {}

    /** A message the guest sent that its receiver has not acknowledged yet. */
    public record Outgoing(String to, String mailbox, long seq, byte[] payload) {}

    /** What {@link #accept} did with a delivery. */
    public enum Acceptance {
        ACCEPTED,
        /** Accepted before (its sequence number is not above the last accepted from that sender). */
        DUPLICATE,
        /** Sealed for a migration's hand-off. */
        SEALED,
        /** The inbox is over its limits. */
        FULL
    }

    private final Runnable outboxChanged;
    private final Map<String, ArrayDeque<Incoming>> inbox = new HashMap<>();
    private final Map<String, Long> accepted = new HashMap<>();
    private final Map<String, Lane> outbox = new LinkedHashMap<>();
    private int inboxMessages;
    private long inboxBytes;
    private int outboxMessages;
    private long outboxBytes;
    private boolean sealed;
    /** The guest is parked in a blocking receive (transient: the re-run call sets it again). */
    private boolean waiting;

    /** Per destination: the next sequence number and the unacknowledged messages, oldest first. */
    private static final class Lane {
        long nextSeq = 1;
        final ArrayDeque<Outgoing> pending = new ArrayDeque<>();
    }

    /** Empty channels; {@code outboxChanged} runs (on the guest's thread) after each send, to wake a dispatcher. */
    public Channels(Runnable outboxChanged) {
        this.outboxChanged = Objects.requireNonNull(outboxChanged, "outboxChanged");
    }

    public static Channels none() {
        return new Channels(() -> { });
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
            lane.pending.addLast(new Outgoing(to, mailbox, lane.nextSeq++, payload));
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

    // ---------------------------------------------------------------- the agent's side

    /**
     * A delivery from {@code from}: appended to {@code mailbox} iff its sequence number is above the
     * last accepted from that sender. Senders send in order, so the next one is last + 1; a larger
     * gap means the receiver rolled back (restored an older checkpoint) and is accepted all the same.
     */
    public synchronized Acceptance accept(String from, long seq, String mailbox, byte[] payload) {
        if (sealed) {
            return Acceptance.SEALED;
        }
        if (seq <= accepted.getOrDefault(from, 0L)) {
            return Acceptance.DUPLICATE;
        }
        if (inboxMessages >= MAX_INBOX_MESSAGES || inboxBytes + payload.length > MAX_INBOX_BYTES) {
            return Acceptance.FULL;
        }
        accepted.put(from, seq);
        inbox.computeIfAbsent(mailbox, k -> new ArrayDeque<>()).addLast(new Incoming(from, seq, payload));
        inboxMessages++;
        inboxBytes += payload.length;
        return Acceptance.ACCEPTED;
    }

    /** The oldest unacknowledged message of every destination that has one. */
    public synchronized List<Outgoing> heads() {
        List<Outgoing> heads = new ArrayList<>(outbox.size());
        for (Lane lane : outbox.values()) {
            if (!lane.pending.isEmpty()) {
                heads.add(lane.pending.peekFirst());
            }
        }
        return heads;
    }

    /** The receiver {@code to} has message {@code seq} (and so every one before it): they leave the outbox. */
    public synchronized void acknowledge(String to, long seq) {
        Lane lane = outbox.get(to);
        if (lane == null) {
            return;
        }
        while (!lane.pending.isEmpty() && lane.pending.peekFirst().seq() <= seq) {
            Outgoing m = lane.pending.removeFirst();
            outboxMessages--;
            outboxBytes -= m.payload().length;
        }
    }

    public synchronized boolean hasOutgoing() {
        return outboxMessages > 0;
    }

    public synchronized int outboxSize() {
        return outboxMessages;
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
        ChannelState.Builder out = ChannelState.newBuilder().putAllAccepted(accepted);
        inbox.forEach((name, q) -> {
            Mailbox.Builder box = Mailbox.newBuilder().setName(name);
            for (Incoming m : q) {
                box.addMessages(ChannelMessage.newBuilder().setFrom(m.from()).setSeq(m.seq()).setPayload(ByteString.copyFrom(m.payload())));
            }
            out.addMailboxes(box);
        });
        outbox.forEach((to, lane) -> {
            Destination.Builder d = Destination.newBuilder().setProcessId(to).setNextSeq(lane.nextSeq);
            for (Outgoing m : lane.pending) {
                d.addPending(ChannelMessage.newBuilder().setMailbox(m.mailbox()).setSeq(m.seq()).setPayload(ByteString.copyFrom(m.payload())));
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
            for (ChannelMessage m : d.getPendingList()) {
                if (m.getSeq() != expect++ || m.getSeq() < 1) {
                    throw new StateFormatException("outbox to " + d.getProcessId() + " is not a run of sequence numbers ending at "
                            + (d.getNextSeq() - 1));
                }
                lane.pending.addLast(new Outgoing(d.getProcessId(), m.getMailbox(), m.getSeq(), m.getPayload().toByteArray()));
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
