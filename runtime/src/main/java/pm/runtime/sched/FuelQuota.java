package pm.runtime.sched;

import java.util.function.LongSupplier;

/**
 * A process's CPU quota in instructions per second, as a token bucket: fuel accrues at the rate, up
 * to a tenth of a second's worth, and each slice spends what it retired. Counting instructions, not
 * time, makes the quota the same work in either tier and on any machine. Confined to the worker that
 * holds the process (see {@link ScheduledProcess}).
 */
final class FuelQuota {
    private final long perSecond;
    private final long burst;
    /** A throttled process waits for this much, so that it runs slices of some length, not a crumb each. */
    private final long leastSlice;

    private final LongSupplier nanoClock;
    private long tokens;
    private long refilledAt;

    FuelQuota(long perSecond, LongSupplier nanoClock) {
        if (perSecond < 1) {
            throw new IllegalArgumentException("a quota allows at least one instruction a second: " + perSecond);
        }
        this.perSecond = perSecond;
        this.burst = Math.max(1, perSecond / 10);
        this.leastSlice = Math.max(1, burst / 10);
        this.nanoClock = nanoClock;
        this.refilledAt = nanoClock.getAsLong();
        this.tokens = burst;
    }

    /** The fuel a slice may have now, at most {@code slice}; 0 while the bucket holds less than a least slice. */
    long available(long slice) {
        refill();
        return tokens >= Math.min(slice, leastSlice) ? Math.min(slice, tokens) : 0;
    }

    /** Charges what a slice retired. */
    void spend(long instructions) {
        tokens -= instructions;
    }

    /** How long until the bucket holds a least slice (a tenth of its size) again; 0 if it does. */
    long nanosUntilAvailable() {
        refill();
        if (tokens >= leastSlice) {
            return 0;
        }
        return (long) Math.ceil((leastSlice - tokens) * 1e9 / perSecond);
    }

    private void refill() {
        long now = nanoClock.getAsLong();
        long elapsed = now - refilledAt;
        if (elapsed <= 0) {
            return;
        }
        // At most what fills the bucket: a debt is paid back first, idle time banks no more than the burst.
        long accrued = (long) Math.min((double) elapsed * perSecond / 1e9, (double) (burst - tokens));
        if (accrued > 0) {
            tokens += accrued;
            refilledAt = now;
        } else if (tokens >= burst) {
            refilledAt = now; // full: time spent full accrues nothing
        }
    }
}
