package pm.coordinator.migration;

import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.coordinator.ClusterException;
import pm.coordinator.zk.OwnershipCache;
import pm.coordinator.zk.OwnershipStore;
import pm.coordinator.zk.Versioned;
import pm.v1.MigrationJournal;
import pm.v1.OwnershipRecord;

/**
 * The copy a migration's source keeps after the commit — the process as it handed it over — named by
 * the ownership record until the new owner's first durable checkpoint or until {@link #KEEP} has
 * passed. Recovery prefers it to the last durable checkpoint, so losing the target right after a
 * migration costs no work; only losing both falls back to that checkpoint. {@link #tick} lets copies
 * past the bound lapse; it runs on the leader's policy thread.
 */
public final class RetainedCopies {
    private static final Logger LOG = LoggerFactory.getLogger(RetainedCopies.class);

    /**
     * How long a copy is named when the new owner takes no durable checkpoint: the window in which a
     * migration is as durable as the process was before it; past it, the process is as durable as its
     * own checkpoint policy makes it (the source's memory is given back).
     */
    public static final Duration KEEP = Duration.ofMinutes(10);

    private static final int PER_TICK = 16;

    private final OwnershipStore store;
    private final OwnershipCache records;
    private final Clock clock;

    public RetainedCopies(OwnershipStore store, OwnershipCache records, Clock clock) {
        this.store = store;
        this.records = records;
        this.clock = clock;
    }

    /** Names the source's copy in the record a migration commits, or none if the source keeps none. */
    static void retainOrClear(OwnershipRecord.Builder committed, boolean retains, MigrationJournal j, long nowMillis) {
        clear(committed);
        if (retains) {
            committed
                    .setRetainedNode(j.getSource())
                    .setRetainedMigrationId(j.getMigrationId())
                    .setRetainedMillis(nowMillis);
        }
    }

    /** Stops naming a retained copy (its node drops it once it sees the record). */
    public static OwnershipRecord.Builder clear(OwnershipRecord.Builder r) {
        return r.clearRetainedNode().clearRetainedMigrationId().clearRetainedMillis();
    }

    /** Whether the record names a copy kept on a node other than its owner. */
    public static boolean named(OwnershipRecord r) {
        return !r.getRetainedNode().isEmpty() && !r.getRetainedNode().equals(r.getOwner());
    }

    /** Lets copies named longer than {@link #KEEP} lapse, a few per tick. */
    public void tick() {
        long cutoff = clock.millis() - KEEP.toMillis();
        int cleared = 0;
        for (Versioned<OwnershipRecord> v : records.all()) {
            OwnershipRecord r = v.value();
            if (r.getRetainedNode().isEmpty()
                    || r.getRetainedMillis() > cutoff
                    || !r.getMigrationId().isEmpty()) {
                continue;
            }
            try {
                store.update(
                        clear(r.toBuilder()).setUpdatedMillis(clock.millis()).build(), v.version());
                LOG.atInfo()
                        .addKeyValue("process", r.getProcessId())
                        .addKeyValue("migration", r.getRetainedMigrationId())
                        .log("node {} no longer keeps the copy it handed over ({} passed)", r.getRetainedNode(), KEEP);
            } catch (ClusterException e) {
                if (e.reason() != ClusterException.Reason.CONFLICT) {
                    throw e;
                }
                // changed meanwhile: the next tick reads it again
            }
            if (++cleared == PER_TICK) {
                return;
            }
        }
    }
}
