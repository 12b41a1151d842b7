package pm.client.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import pm.v1.ClusterEvent;

/**
 * What a migrate or a drain is doing while its one call runs, on stderr. The Cluster API answers those
 * calls only at the end and reports no bytes or rounds on the way, so this shows the elapsed time and what
 * the event stream tells: a migration started, committed or aborted, and for a drain how many of the
 * node's processes have moved (a bar). Events are best effort: a stream cannot tell when it has subscribed,
 * so the first events of a quick migration may be missed; the caller's last line comes from the call's answer.
 *
 * <p>On a terminal it is a spinner line rewritten in place ten times a second, silent for the first second
 * (a quick call prints nothing). Elsewhere (asked for with {@code --progress}) it prints one line per
 * change and always the last line, so a log shows the steps.
 *
 * <p>Events arrive on a gRPC thread, the spinner ticks on its own, the caller finishes on its thread: every
 * method is synchronized. The clock is injected so tests need not wait.
 */
final class ActivityMeter implements AutoCloseable {
    private static final long QUIET_NANOS = 1_000_000_000L;
    private static final String SPINNER = "|/-\\";
    private static final int BAR = 20;

    private final String title;
    private final Set<String> processes;
    private final int total;
    private final PrintStream err;
    private final boolean terminal;
    private final LongSupplier nanoTime;
    private final long start;
    private final ScheduledExecutorService ticker;
    private String phase;
    private int moved;
    private int failed;
    private int ticks;
    private boolean printed;
    private boolean finished;
    private boolean complete;

    /**
     * {@code processes}: the ones whose events count ({@code total} of them are to move; 0 for a single
     * migration, which shows no bar); {@code phase}: what to say until an event comes.
     */
    ActivityMeter(
            String title,
            Set<String> processes,
            int total,
            String phase,
            PrintStream err,
            boolean terminal,
            LongSupplier nanoTime) {
        this.title = title;
        this.processes = Set.copyOf(processes);
        this.total = total;
        this.phase = phase;
        this.err = err;
        this.terminal = terminal;
        this.nanoTime = nanoTime;
        this.start = nanoTime.getAsLong();
        if (terminal) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "pmctl-progress");
                t.setDaemon(true);
                return t;
            });
            ticker.scheduleAtFixedRate(this::tick, 100, 100, TimeUnit.MILLISECONDS);
        } else {
            ticker = null;
            printLine();
        }
    }

    /** Takes one cluster event; events about other processes are not this activity's. */
    synchronized void event(ClusterEvent e) {
        if (finished || !processes.contains(e.getProcessId())) {
            return;
        }
        switch (e.getKind()) {
            case KIND_MIGRATION_STARTED -> phase = "moving " + e.getProcessId() + " to " + e.getNode();
            case KIND_MIGRATION_COMMITTED -> {
                moved++;
                phase = "moved " + e.getProcessId() + " to " + e.getNode() + ", epoch " + e.getEpoch();
            }
            case KIND_MIGRATION_ABORTED -> {
                failed++;
                phase = "could not move " + e.getProcessId() + ", it stays on " + e.getNode();
            }
            default -> {
                return;
            }
        }
        if (!terminal) {
            printLine();
        }
    }

    /**
     * The call has answered: stops the meter and prints its last line, with {@code last} as the phase and a
     * full bar. Always off a terminal; on one only if the meter showed (a quick call prints nothing).
     */
    synchronized void finish(String last) {
        stop();
        phase = last;
        complete = true;
        if (!terminal) {
            err.println(line());
        } else if (printed) {
            err.println("\r" + line() + "\033[K");
        }
        err.flush();
    }

    /** Stops the meter; a spinner line the call's failure left behind is cleared, so its error starts a clean line. */
    @Override
    public synchronized void close() {
        if (terminal && printed && !finished) {
            err.print("\r\033[K");
            err.flush();
        }
        stop();
    }

    private void stop() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
        finished = true;
    }

    private synchronized void tick() {
        if (finished || nanoTime.getAsLong() - start < QUIET_NANOS) {
            return;
        }
        err.print("\r" + SPINNER.charAt(ticks++ % SPINNER.length()) + " " + line() + "\033[K");
        err.flush();
        printed = true;
    }

    private void printLine() {
        err.println(line());
        err.flush();
        printed = true;
    }

    /** {@code TITLE: [####------] 1/2  PHASE (3.1 s)}; no bar for a single migration. */
    synchronized String line() {
        return title + ": " + (total > 0 ? bar() + "  " : "") + phase + " (" + elapsed() + ")";
    }

    private String elapsed() {
        return String.format(Locale.ROOT, "%.1f s", (nanoTime.getAsLong() - start) / 1e9);
    }

    private String bar() {
        int done = complete ? total : Math.min(moved + failed, total);
        int filled = done * BAR / total;
        return "[" + "#".repeat(filled) + "-".repeat(BAR - filled) + "] " + done + "/" + total;
    }
}
