package pm.client.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;
import pm.client.TransferProgress;

/**
 * Progress of an image transfer on stderr: quiet for the first second (a short transfer prints nothing),
 * then bytes so far and the rate, rewritten in place at most twice a second, and a last line when done.
 * Called on one gRPC thread at a time; the clock is injected so tests need not wait.
 */
final class ProgressMeter implements TransferProgress {
    private static final long QUIET_NANOS = 1_000_000_000L;
    private static final long EVERY_NANOS = 500_000_000L;

    private final String verb;
    private final PrintStream err;
    private final LongSupplier nanoTime;
    private final long start;
    private long lastPrint;
    private boolean printed;

    ProgressMeter(String verb, PrintStream err, LongSupplier nanoTime) {
        this.verb = verb;
        this.err = err;
        this.nanoTime = nanoTime;
        this.start = nanoTime.getAsLong();
    }

    @Override
    public synchronized void transferred(long bytes) {
        long now = nanoTime.getAsLong();
        if (now - start >= QUIET_NANOS && (!printed || now - lastPrint >= EVERY_NANOS)) {
            err.print("\r" + line(bytes, now) + "   ");
            err.flush();
            lastPrint = now;
            printed = true;
        }
    }

    /** Ends the progress line, if one was printed. */
    synchronized void finish(long bytes) {
        if (printed) {
            err.println("\r" + line(bytes, nanoTime.getAsLong()) + "   ");
            err.flush();
        }
    }

    private String line(long bytes, long now) {
        double seconds = Math.max(now - start, 1) / 1e9;
        return String.format(
                Locale.ROOT, "%s %s in %.1f s (%s/s)", verb, Views.bytes(bytes), seconds, Views.bytes((long)
                        (bytes / seconds)));
    }
}
