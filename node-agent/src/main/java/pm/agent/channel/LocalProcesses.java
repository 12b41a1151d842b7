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
    sealed interface Receiver permits Present, Busy, Absent {}

    /** Hosted and taking messages: accept into {@code channels}, then {@code wake} it. */
    record Present(Channels channels, Runnable wake) implements Receiver {}

    /** Hosted, but not taking messages now (arriving by migration, suspended, ended). */
    record Busy(String why) implements Receiver {}

    /** Not hosted here. */
    record Absent() implements Receiver {}

    /** A process whose outbox this agent sends. */
    record Sender(String processId, Channels channels) {}
}
