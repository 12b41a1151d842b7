package pm.agent.process;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import pm.agent.channel.LocalProcesses;

/**
 * What of each sender's stream one hosted process cannot lose when its node dies: the messages its
 * durable checkpoint (the one the ownership record names, which a recovery would start from) had
 * accepted. Only those are acknowledged as durable, so a sender keeps the rest and sends them again
 * to a copy recovered from that checkpoint. A process without periodic checkpoints, or on a
 * standalone agent, is itself not durable: a message it accepted is as safe as it is, and called
 * durable at once. Thread-safe: checkpoints and restores (under the process's lock), the ownership
 * guard's thread and delivery threads meet here; the map read on every delivery is an immutable
 * copy behind a volatile field.
 */
public final class ChannelDurability implements LocalProcesses.Durability {
    /** Checkpoints remembered until a record names one (a record names a checkpoint a few seconds after it is taken). */
    private static final int REMEMBERED = 8;

    private final boolean tracked;
    private volatile Map<String, Long> durable = Map.of();
    private final Map<String, Map<String, Long>> byCheckpoint = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Map<String, Long>> eldest) {
            return size() > REMEMBERED;
        }
    };

    /** {@code tracked}: the process is recovered from durable checkpoints (a cluster, a checkpoint interval). */
    ChannelDurability(boolean tracked) {
        this.tracked = tracked;
    }

    @Override
    public long durableSeq(String sender, long acceptedSeq) {
        return tracked ? Math.min(acceptedSeq, durable.getOrDefault(sender, 0L)) : acceptedSeq;
    }

    /** Checkpoint {@code checkpointId} holds what {@code accepted} says was accepted from each sender. */
    synchronized void checkpointed(String checkpointId, Map<String, Long> accepted) {
        byCheckpoint.put(checkpointId, accepted);
    }

    /** The ownership record names {@code checkpointId} as the durable one: what it accepted is safe. */
    public synchronized void named(String checkpointId) {
        Map<String, Long> accepted = byCheckpoint.get(checkpointId);
        if (accepted != null) {
            raise(accepted);
        }
    }

    private void raise(Map<String, Long> accepted) {
        Map<String, Long> next = new HashMap<>(durable);
        accepted.forEach((sender, seq) -> next.merge(sender, seq, Math::max));
        durable = Map.copyOf(next);
    }
}
