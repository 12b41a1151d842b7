package pm.coordinator.rebalance;

import java.time.Duration;

/**
 * How the rebalancer runs. Every {@code interval} the leader samples the load; when the imbalance
 * (max over nodes of |load − target| / target) passes {@code threshold} it plans moves that bring every
 * node within the tighter {@code planBand} (so a round ends well inside the threshold: hysteresis),
 * runs them with at most {@code maxConcurrent} migrations in the cluster and {@code maxPerNode} on any
 * node (as source or target), then evaluates nothing for {@code cooldown}. A process that moved less
 * than {@code recentMoveCooldown} ago stays where it is. An interval of zero turns the automatic loop
 * off; {@code Rebalance} calls still plan and run rounds on demand.
 */
public record RebalanceSettings(
        Duration interval,
        double threshold,
        double planBand,
        Duration cooldown,
        int maxConcurrent,
        int maxPerNode,
        Duration recentMoveCooldown) {

    public static final RebalanceSettings DEFAULTS =
            new RebalanceSettings(Duration.ZERO, 0.10, 0.08, Duration.ofSeconds(30), 8, 4, Duration.ofMinutes(5));

    public RebalanceSettings {
        if (interval.isNegative() || cooldown.isNegative() || recentMoveCooldown.isNegative()) {
            throw new IllegalArgumentException("rebalance durations cannot be negative");
        }
        if (!(threshold > 0) || !(planBand > 0) || planBand > threshold) {
            throw new IllegalArgumentException(
                    "rebalance needs 0 < plan band (" + planBand + ") <= threshold (" + threshold + ")");
        }
        if (maxConcurrent < 1 || maxPerNode < 1) {
            throw new IllegalArgumentException("rebalance needs at least one migration at a time (cluster "
                    + maxConcurrent + ", per node " + maxPerNode + ")");
        }
    }

    /** Whether the leader rebalances on its own (a non-zero interval). */
    public boolean enabled() {
        return !interval.isZero();
    }

    public RebalanceSettings withInterval(Duration value) {
        return new RebalanceSettings(
                value, threshold, planBand, cooldown, maxConcurrent, maxPerNode, recentMoveCooldown);
    }

    /** A new trigger threshold; the plan band keeps its ratio to it (0.8 by default). */
    public RebalanceSettings withThreshold(double value) {
        return new RebalanceSettings(
                interval, value, planBand / threshold * value, cooldown, maxConcurrent, maxPerNode, recentMoveCooldown);
    }

    public RebalanceSettings withPlanBand(double value) {
        return new RebalanceSettings(
                interval, threshold, value, cooldown, maxConcurrent, maxPerNode, recentMoveCooldown);
    }

    public RebalanceSettings withCooldown(Duration value) {
        return new RebalanceSettings(
                interval, threshold, planBand, value, maxConcurrent, maxPerNode, recentMoveCooldown);
    }

    public RebalanceSettings withMaxConcurrent(int value) {
        return new RebalanceSettings(interval, threshold, planBand, cooldown, value, maxPerNode, recentMoveCooldown);
    }

    public RebalanceSettings withMaxPerNode(int value) {
        return new RebalanceSettings(interval, threshold, planBand, cooldown, maxConcurrent, value, recentMoveCooldown);
    }

    public RebalanceSettings withRecentMoveCooldown(Duration value) {
        return new RebalanceSettings(interval, threshold, planBand, cooldown, maxConcurrent, maxPerNode, value);
    }
}
