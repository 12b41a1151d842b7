package pm.agent.channel;

import java.util.List;
import pm.runtime.chan.Channels;

/**
 * What the channel layer needs to know of the processes this agent hosts: whether one can take a
 * message now, and whose outboxes this agent sends. Implemented over the agent's process table, so
 * this package does not know how processes are held. Thread-safe.
 */
public interface LocalProcesses {
    /** Where a delivery to {@code processId} stands on this agent. */
    Receiver receiver(String processId);

    /** The processes whose outboxes this agent sends now: live here and not handed off (or being handed off). */
    List<Sender> senders();

    /** Where a delivery stands. */
    sealed interface Receiver permits Present, Busy, Ended, Absent {}

    /**
     * Hosted and taking messages: accept into {@code channels}, then {@code wake} it; {@code durability}
     * says what of each sender's stream a crash of this node cannot lose.
     */
    record Present(Channels channels, Runnable wake, Durability durability) implements Receiver {}

    /** Hosted, and ended: it will never receive anything again. */
    record Ended() implements Receiver {}

    /** Hosted, but not taking messages now (arriving by migration, suspended, ended). */
    record Busy(String why) implements Receiver {}

    /** Not hosted here. */
    record Absent() implements Receiver {}

    /** A process whose outbox this agent sends, as its copy at {@code epoch}. */
    record Sender(String processId, long epoch, Channels channels) {}

    /** What of a sender's stream a receiver cannot lose. */
    interface Durability {
        /** Of the messages from {@code sender} up to {@code acceptedSeq} (all accepted here), the highest one a crash cannot lose. */
        long durableSeq(String sender, long acceptedSeq);
    }
}
