package pm.runtime.local;

/**
 * A freeze asked for by a timer or a signal, on their threads, and seen by the thread running the
 * program: after a slice, or at once while the program sleeps in a host call. The request also
 * reaches the running machine ({@code onRequest}), so compiled or interpreted code stops at its
 * next safepoint. Thread-safe.
 */
final class FreezeTrigger {
    private final Runnable onRequest;
    private boolean requested; // guarded by this

    FreezeTrigger(Runnable onRequest) {
        this.onRequest = onRequest;
    }

    /** Any thread; idempotent. */
    void request() {
        synchronized (this) {
            requested = true;
            notifyAll();
        }
        onRequest.run();
    }

    synchronized boolean requested() {
        return requested;
    }

    /** Waits up to {@code nanos} (the program's sleep) or until a freeze is asked for; true if one was. */
    synchronized boolean awaitNanos(long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + Math.min(nanos, Long.MAX_VALUE / 4);
        while (!requested) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(left / 1_000_000, (int) (left % 1_000_000));
        }
        return true;
    }
}
