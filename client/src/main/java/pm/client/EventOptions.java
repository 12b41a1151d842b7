package pm.client;

import java.util.Objects;
import java.util.Optional;

/**
 * Which cluster events {@link ClusterClient#events(EventOptions, java.util.function.Consumer)} delivers:
 * only new ones ({@link #newOnly()}, the default), or first those the cluster keeps ({@link #allKept()},
 * or those after an index with {@link #after(long)}) and then each new one; about every process unless
 * {@link #about(String)} names one. Immutable; {@code about} returns a copy.
 */
public final class EventOptions {
    /** The index the Events call reads as "none of the kept ones". */
    private static final long NONE_KEPT = -1;

    private final String processId;
    private final long sinceIndex;

    private EventOptions(String processId, long sinceIndex) {
        this.processId = processId;
        this.sinceIndex = sinceIndex;
    }

    /** Each event from now on. */
    public static EventOptions newOnly() {
        return new EventOptions(null, NONE_KEPT);
    }

    /** Every event the cluster keeps, then each new one. */
    public static EventOptions allKept() {
        return new EventOptions(null, 0);
    }

    /** The kept events with an index above {@code index} (as a delivered event shows it), then each new one. */
    public static EventOptions after(long index) {
        if (index < 0) {
            throw new IllegalArgumentException("an event index is never negative, not " + index + "; use newOnly()");
        }
        return new EventOptions(null, index);
    }

    /** The same options, for events about {@code id} only. */
    public EventOptions about(String id) {
        Objects.requireNonNull(id, "processId");
        if (id.isBlank()) {
            throw new IllegalArgumentException("a process id cannot be blank; leave it out for every process");
        }
        return new EventOptions(id, sinceIndex);
    }

    /** The process the events must be about, if one is named. */
    public Optional<String> processId() {
        return Optional.ofNullable(processId);
    }

    /** The index after which kept events are delivered: 0 for all kept, -1 for none (only new ones). */
    public long sinceIndex() {
        return sinceIndex;
    }

    @Override
    public String toString() {
        return (sinceIndex < 0 ? "new" : "after #" + sinceIndex) + (processId == null ? "" : " about " + processId);
    }
}
