package pm.coordinator.placement;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Memory promised to processes placed on a node recently, so that placements between two of its
 * reports do not all pick the same node. A reservation lasts a fixed time covering two reports
 * rather than "until the next report": a report may have been computed before the placement it
 * follows, and releasing on it piled processes onto one node. Counting a process twice for a moment
 * only makes placement more careful. Thread-safe.
 */
public final class Reservations {
    private record Reservation(long bytes, long expiresNanos) {}

    private final long holdNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Deque<Reservation>> reserved = new ConcurrentHashMap<>();

    public Reservations() {
        this(3_000_000_000L, System::nanoTime);
    }

    Reservations(long holdNanos, LongSupplier nanoClock) {
        this.holdNanos = holdNanos;
        this.nanoClock = nanoClock;
    }

    public void reserve(String node, long bytes) {
        Deque<Reservation> q = reserved.computeIfAbsent(node, k -> new ArrayDeque<>());
        synchronized (q) {
            q.addLast(new Reservation(bytes, nanoClock.getAsLong() + holdNanos));
        }
    }

    /** The node left: nothing is promised there any more. */
    public void forget(String node) {
        reserved.remove(node);
    }

    public long of(String node) {
        Deque<Reservation> q = reserved.get(node);
        if (q == null) {
            return 0;
        }
        long now = nanoClock.getAsLong();
        synchronized (q) {
            while (!q.isEmpty() && q.peekFirst().expiresNanos() - now <= 0) {
                q.removeFirst();
            }
            return q.stream().mapToLong(Reservation::bytes).sum();
        }
    }
}
