package pm.agent.channel;

/**
 * Wakes the dispatcher: rung by a guest that sent a message (on its worker) and by delivery
 * replies (on gRPC threads); rings coalesce. Thread-safe.
 */
public final class Doorbell {
    private boolean rung;

    public synchronized void ring() {
        rung = true;
        notifyAll();
    }

    /** Waits until rung or {@code nanos} pass; clears the ring. */
    synchronized void await(long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        while (!rung) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(Math.max(1, left / 1_000_000), 0);
        }
        rung = false;
    }
}
