package pm.deploy.faults;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Waiting for a condition on the cluster, never for a fixed time: the condition is asked again
 * every {@link #INTERVAL} until it holds or the deadline passes (then the scenario fails, naming
 * what it waited for). Errors while asking count as "not yet".
 */
final class Poll {
    static final Duration INTERVAL = Duration.ofMillis(100);

    private Poll() {}

    /** Waits until {@code condition} holds. */
    static void until(String what, Duration timeout, Supplier<Boolean> condition) throws InterruptedException {
        value(what, timeout, () -> Boolean.TRUE.equals(condition.get()) ? Optional.of(true) : Optional.empty());
    }

    /** Waits until {@code probe} yields a value and returns it. */
    static <T> T value(String what, Duration timeout, Supplier<Optional<T>> probe) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastError = "";
        while (true) {
            try {
                Optional<T> v = probe.get();
                if (v.isPresent()) {
                    return v.get();
                }
            } catch (RuntimeException e) {
                if (e instanceof ScenarioFailure f) {
                    throw f;
                }
                lastError = " (last error: " + e.getMessage() + ")";
            }
            if (System.nanoTime() > deadline) {
                throw new ScenarioFailure(
                        "timed out after " + timeout.toSeconds() + " s waiting for " + what + lastError);
            }
            Thread.sleep(INTERVAL.toMillis());
        }
    }
}
