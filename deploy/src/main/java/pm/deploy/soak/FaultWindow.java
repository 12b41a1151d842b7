package pm.deploy.soak;

import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Tells whether an injected fault overlapped a stretch of work: one in progress when it began, one
 * begun since, or one in progress when it ended. A call that failed, or an audit that found something,
 * across such a stretch is judged as during a fault even if the fault had settled by the time it was
 * judged (an audit blocked on a paused agent answers only once the agent runs again). Thread-safe.
 */
final class FaultWindow {
    /** No faults at all: nothing ever overlaps. */
    static final FaultWindow NONE = new FaultWindow(() -> false, () -> 0);

    private final BooleanSupplier inFault;
    private final LongSupplier faultsBegun;

    /** {@code faultsBegun} counts up before {@code inFault} turns true for each fault. */
    FaultWindow(BooleanSupplier inFault, LongSupplier faultsBegun) {
        this.inFault = inFault;
        this.faultsBegun = faultsBegun;
    }

    /** A mark for the start of a stretch; negative when a fault is in progress now. */
    long open() {
        long begun = faultsBegun.getAsLong(); // read before inFault: a fault starting in between is still seen
        return inFault.getAsBoolean() ? -1 : begun;
    }

    /** True when a fault overlapped the stretch that {@code mark} opened. */
    boolean overlapped(long mark) {
        return mark < 0 || inFault.getAsBoolean() || faultsBegun.getAsLong() != mark;
    }

    /** True while a fault has not settled. */
    boolean inFault() {
        return inFault.getAsBoolean();
    }
}
