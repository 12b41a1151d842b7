package pm.client.cli;

import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The options of a command that prints again and again ({@code top}, {@code ps --watch}, {@code nodes --watch}):
 * how often, and how many times (forever unless {@code --iterations}, so scripts and tests can bound a run).
 * A picocli mixin; {@link #pacing()} checks them inside {@link Pmctl#execute}, so a bad value is one line on
 * stderr and the usage exit code.
 */
final class Refresh {
    @Option(
            names = "--interval",
            paramLabel = "SECONDS",
            defaultValue = "2",
            description = "Seconds between refreshes, 0.5 for half a second (default: ${DEFAULT-VALUE}).")
    double intervalSeconds;

    @Option(
            names = {"-n", "--iterations"},
            paramLabel = "N",
            description = "Print N times, then exit (default: until interrupted).")
    Integer iterations;

    /** For {@code ps} and {@code nodes}, which refresh only with {@code --watch}: pacing them without it is a mistake. */
    void refuseWithoutWatch(CommandSpec spec) {
        var parsed = spec.commandLine().getParseResult();
        if (parsed.hasMatchedOption("--interval") || parsed.hasMatchedOption("--iterations")) {
            throw new IllegalArgumentException("--interval and --iterations go with --watch");
        }
    }

    Pacing pacing() {
        if (!(intervalSeconds >= 0.1 && intervalSeconds <= 86_400)) {
            throw new IllegalArgumentException("--interval is between 0.1 and 86400 seconds, not " + intervalSeconds);
        }
        if (iterations != null && iterations <= 0) {
            throw new IllegalArgumentException("--iterations is a positive count, not " + iterations);
        }
        return new Pacing(Duration.ofNanos(Math.round(intervalSeconds * 1e9)), iterations == null ? 0 : iterations);
    }

    /** Every {@code interval}, {@code iterations} times (0: forever). */
    record Pacing(Duration interval, int iterations) {
        Pacing {
            if (interval.isNegative() || interval.isZero() || iterations < 0) {
                throw new IllegalArgumentException("a pacing of " + iterations + " times every " + interval);
            }
        }

        /**
         * Runs {@code frame} at a fixed rate (a slow frame shortens the wait after it, never piles them up), the
         * first at once and no wait after the last, so {@code -n 3 --interval 2} takes about four seconds.
         */
        void run(Frame frame) throws Exception {
            long next = System.nanoTime();
            for (int i = 0; iterations == 0 || i < iterations; i++) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                next = Math.max(next, System.nanoTime()) + interval.toNanos();
                frame.print(i);
            }
        }
    }

    /** One refresh; {@code index} counts from 0. */
    @FunctionalInterface
    interface Frame {
        void print(int index) throws Exception;
    }
}
