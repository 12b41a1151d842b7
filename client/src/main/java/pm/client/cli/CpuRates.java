package pm.client.cli;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import pm.v1.ClusterProcess;

/**
 * What {@code pmctl top} calls CPU: instructions retired per second, from two samples of the process list.
 * The cluster reports only each process's running total (its owner's live view), so a rate needs the
 * previous sample; a process first seen now, one whose owner did not answer, or one whose total went
 * back (restored from an older checkpoint) has no rate this time. Used by the command's thread only; the
 * clock is injected so tests need not wait.
 */
final class CpuRates {
    private final LongSupplier nanoTime;
    private Map<String, Long> lastTotals = Map.of();
    private long lastNanos;

    CpuRates(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /** Takes {@code processes} as the sample of now; returns the rate of each process that has one since the last sample. */
    Map<String, Double> sample(List<ClusterProcess> processes) {
        long now = nanoTime.getAsLong();
        double seconds = (now - lastNanos) / 1e9;
        Map<String, Long> totals = new HashMap<>();
        Map<String, Double> rates = new HashMap<>();
        for (ClusterProcess p : processes) {
            if (!p.hasInfo()) {
                continue;
            }
            long total = p.getInfo().getInstructionsRetired();
            totals.put(p.getProcessId(), total);
            Long before = lastTotals.get(p.getProcessId());
            if (before != null && total >= before && seconds > 0) {
                rates.put(p.getProcessId(), (total - before) / seconds);
            }
        }
        lastTotals = totals;
        lastNanos = now;
        return rates;
    }
}
