package pm.agent.ownership;

import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Whether this node may run its processes now, as far as time alone tells: only within a lease after
 * ZooKeeper last answered a request on the session the ownership guard has vetted. The scheduler asks
 * before every slice, so a node that was paused (a long GC, SIGSTOP) runs nothing when it wakes until
 * ZooKeeper has answered again on the same session, however late Curator reports the loss; a new
 * session counts only once the guard has read every record again under it ({@link #accept}).
 *
 * <p>Threads: the scheduler's workers read it; one heartbeat thread confirms; the guard accepts.
 */
public final class SessionLease implements BooleanSupplier {
    private final long lengthNanos;
    private final LongSupplier nanoClock;
    private volatile long session = Long.MIN_VALUE;
    private volatile long confirmedAt;
    private volatile boolean confirmed;

    public SessionLease(long lengthMillis, LongSupplier nanoClock) {
        this.lengthNanos = lengthMillis * 1_000_000L;
        this.nanoClock = nanoClock;
    }

    /** The guard vetted the records under {@code sessionId}: answers on it renew the lease from now on. */
    public void accept(long sessionId) {
        session = sessionId;
    }

    /** A request sent at {@code sentNanos} on {@code sessionId} was answered: the session was alive then. */
    public void confirm(long sessionId, long sentNanos) {
        if (sessionId == session && (!confirmed || sentNanos - confirmedAt > 0)) {
            confirmedAt = sentNanos;
            confirmed = true;
        }
    }

    @Override
    public boolean getAsBoolean() {
        return confirmed && nanoClock.getAsLong() - confirmedAt < lengthNanos;
    }
}
