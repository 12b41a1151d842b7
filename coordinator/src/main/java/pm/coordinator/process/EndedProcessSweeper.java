package pm.coordinator.process;

import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.coordinator.zk.OwnershipCache;
import pm.coordinator.zk.Versioned;
import pm.v1.OwnershipRecord;

/**
 * Removes processes that ended longer ago than the retention (their record, output and files, as
 * {@code pmctl rm} would), a few per tick so a backlog never holds the leader up. A retention of zero
 * keeps them until someone removes them. Runs on the leader's policy thread.
 */
public final class EndedProcessSweeper {
    private static final Logger LOG = LoggerFactory.getLogger(EndedProcessSweeper.class);
    private static final int PER_TICK = 16;

    private final OwnershipCache records;
    private final ProcessLifecycle lifecycle;
    private final Duration keep;
    private final Clock clock;

    public EndedProcessSweeper(OwnershipCache records, ProcessLifecycle lifecycle, Duration keep, Clock clock) {
        this.records = records;
        this.lifecycle = lifecycle;
        this.keep = keep;
        this.clock = clock;
    }

    public void tick() {
        if (keep.isZero()) {
            return;
        }
        long cutoff = clock.millis() - keep.toMillis();
        int removed = 0;
        for (Versioned<OwnershipRecord> v : records.all()) {
            OwnershipRecord r = v.value();
            if (r.getEndedMillis() == 0 || r.getEndedMillis() > cutoff) {
                continue;
            }
            try {
                lifecycle.kill(r.getProcessId());
                LOG.info("removed process " + r.getProcessId() + ", ended "
                        + Duration.ofMillis(clock.millis() - r.getEndedMillis()) + " ago (kept " + keep + ")");
            } catch (RuntimeException e) {
                LOG.info("cannot remove ended process " + r.getProcessId() + " yet: " + e.getMessage());
            }
            if (++removed == PER_TICK) {
                return;
            }
        }
    }
}
