package pm.coordinator.process;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessState;

/**
 * How much work each process would lose, read from the ownership records, one series per process
 * (tag {@code process}) whose policy promises a bound: a checkpoint interval, and running or frozen.
 * <ul>
 *   <li>{@code pm.checkpoint.age} (seconds): since the checkpoint its record names was taken; since
 *       it was created if its record names none yet. What a restart from its checkpoint would redo.
 *   <li>{@code pm.replication.lag} (seconds): since the newest checkpoint that a node other than its
 *       owner holds was taken; since it was created if no other node holds one. What the loss of its
 *       owner would cost. It exceeds the age while the newest checkpoint stands on the owner alone.
 * </ul>
 * The process tag is not a small set: it is bounded by the processes that asked for checkpoints,
 * and an operator asking "which process is behind" needs it. Every coordinator reports them (a
 * standby's cache is as current as the leader's); a record's times come from the leader's clock, so
 * a skewed standby may read a little off (never below 0).
 *
 * <p>{@link #refresh} recomputes the rows; the scrape calls it, on the scraping thread.
 */
public final class CheckpointAges implements MeterBinder {
    private final Supplier<? extends Collection<OwnershipRecord>> records;
    private final Clock clock;
    private MultiGauge age;
    private MultiGauge lag;

    public CheckpointAges(Supplier<? extends Collection<OwnershipRecord>> records, Clock clock) {
        this.records = records;
        this.clock = clock;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        age = MultiGauge.builder("pm.checkpoint.age")
                .baseUnit("seconds")
                .description(
                        "since the checkpoint the process's record names was taken (since it was created, if none)")
                .register(registry);
        lag = MultiGauge.builder("pm.replication.lag")
                .baseUnit("seconds")
                .description(
                        "since the newest checkpoint held by a node other than the owner was taken (since created, if none)")
                .register(registry);
    }

    /** Rows for the processes watched now; a process that ended, left, or dropped its interval loses its series. */
    public synchronized void refresh() {
        long now = clock.millis();
        List<MultiGauge.Row<?>> ages = new ArrayList<>();
        List<MultiGauge.Row<?>> lags = new ArrayList<>();
        for (OwnershipRecord r : records.get()) {
            if (!watched(r)) {
                continue;
            }
            Tags process = Tags.of("process", r.getProcessId());
            long checkpointed = r.getLastCheckpointId().isEmpty() ? r.getCreatedMillis() : r.getCheckpointMillis();
            long replicated = DurableCheckpoints.durable(r) ? r.getCheckpointMillis() : r.getCreatedMillis();
            ages.add(MultiGauge.Row.of(process, seconds(now, checkpointed)));
            lags.add(MultiGauge.Row.of(process, seconds(now, replicated)));
        }
        age.register(ages, true);
        lag.register(lags, true);
    }

    /** Whether {@code r}'s policy bounds its lost work: a checkpoint interval, and it runs or is frozen. */
    static boolean watched(OwnershipRecord r) {
        return r.getSpec().getCheckpointPolicy().getIntervalMillis() > 0
                && (r.getState() == ProcessState.PROCESS_STATE_RUNNING
                        || r.getState() == ProcessState.PROCESS_STATE_FROZEN);
    }

    private static double seconds(long now, long since) {
        return Math.max(0, now - since) / 1000.0;
    }
}
