package pm.runtime.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The quota's bucket on a clock the test moves: a tenth of a second's fuel at most, refilled at the rate. */
class FuelQuotaTest {
    private long now = 1_000;
    private final FuelQuota quota = new FuelQuota(1_000_000, () -> now);

    @Test
    void aSliceGetsAtMostWhatTheBucketHolds() {
        assertThat(quota.available(10_000_000)).isEqualTo(100_000);
        assertThat(quota.available(5_000)).isEqualTo(5_000);
        quota.spend(100_000);
        assertThat(quota.available(10_000_000)).isZero();
    }

    @Test
    void anEmptyBucketWaitsForATenthOfItsSizeAndRefillsAtTheRate() {
        quota.spend(100_000);
        assertThat(quota.nanosUntilAvailable()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(10));

        now += TimeUnit.MILLISECONDS.toNanos(10);
        assertThat(quota.nanosUntilAvailable()).isZero();
        assertThat(quota.available(10_000_000)).isEqualTo(10_000);

        now += TimeUnit.SECONDS.toNanos(60);
        assertThat(quota.available(10_000_000))
                .as("idle time does not bank more than the burst")
                .isEqualTo(100_000);
    }

    @Test
    void aThrottledProcessWaitsForALeastSliceNotACrumb() {
        quota.spend(99_990);
        assertThat(quota.available(10_000_000)).isZero();
        assertThat(quota.nanosUntilAvailable()).isEqualTo(TimeUnit.MICROSECONDS.toNanos(9_990));
        assertThat(quota.available(5))
                .as("a slice asking for less than a least slice")
                .isEqualTo(5);
    }

    @Test
    void overspendingIsPaidBackBeforeTheNextSlice() {
        quota.spend(300_000); // a slice may retire a little past its fuel; here far past, to show the debt
        assertThat(quota.nanosUntilAvailable()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(210));
        now += TimeUnit.MILLISECONDS.toNanos(150);
        assertThat(quota.available(1_000)).isZero();
        now += TimeUnit.SECONDS.toNanos(60);
        assertThat(quota.available(10_000_000)).as("a long pause pays any debt").isEqualTo(100_000);
    }

    @Test
    void aQuotaAllowsSomething() {
        assertThatThrownBy(() -> new FuelQuota(0, () -> 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
