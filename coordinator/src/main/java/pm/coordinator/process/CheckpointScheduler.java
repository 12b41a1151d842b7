package pm.coordinator.process;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.coordinator.ClusterException;
import pm.coordinator.zk.Membership;
import pm.coordinator.zk.OwnershipCache;
import pm.coordinator.zk.RecordStates;
import pm.coordinator.zk.Versioned;
import pm.v1.CheckpointPolicy;
import pm.v1.CheckpointRequest;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessState;

/**
 * Carries out each process's checkpoint policy while this coordinator leads, and gives each process
 * that ended a copy of its files and output on a second node. A process is due when
 * its interval has passed since its last recorded checkpoint, or — if it has a policy at all — when
 * no durable checkpoint of its current owner exists (just spawned, migrated, or recovered). Due
 * processes are checkpointed and replicated through {@link DurableCheckpoints} on {@code workers},
 * at most {@code maxInFlight} at a time and one at a time per process; a process whose last attempt
 * did not become durable waits {@code retryMillis} before the next. {@link #tick} runs on the
 * leader thread; the maps are shared with the workers.
 */
public final class CheckpointScheduler {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointScheduler.class);

    private final OwnershipCache records;
    private final Membership membership;
    private final DurableCheckpoints checkpoints;
    private final ExecutorService workers;
    private final Semaphore slots;
    private final long retryMillis;
    private final Clock clock;
    private final Map<String, Long> attempted = new ConcurrentHashMap<>();
    private final java.util.Set<String> inFlight = ConcurrentHashMap.newKeySet();

    public CheckpointScheduler(
            OwnershipCache records,
            Membership membership,
            DurableCheckpoints checkpoints,
            ExecutorService workers,
            int maxInFlight,
            long retryMillis,
            Clock clock) {
        this.records = records;
        this.membership = membership;
        this.checkpoints = checkpoints;
        this.workers = workers;
        this.slots = new Semaphore(maxInFlight);
        this.retryMillis = retryMillis;
        this.clock = clock;
    }

    /** Starts the checkpoints that are due and for which a slot is free; the rest wait for the next tick. */
    public void tick() {
        long now = clock.millis();
        attempted.keySet().removeIf(id -> records.find(id).isEmpty());
        for (Versioned<OwnershipRecord> v : records.all()) {
            OwnershipRecord r = v.value();
            if (!due(r, now)
                    || inFlight.contains(r.getProcessId())
                    || attempted.getOrDefault(r.getProcessId(), Long.MIN_VALUE) > now - retryMillis) {
                continue;
            }
            if (!slots.tryAcquire()) {
                return;
            }
            attempted.put(r.getProcessId(), now);
            inFlight.add(r.getProcessId());
            try {
                workers.execute(() -> run(r));
            } catch (RuntimeException e) {
                inFlight.remove(r.getProcessId());
                slots.release();
                throw e;
            }
        }
    }

    private void run(OwnershipRecord r) {
        try {
            if (RecordStates.ended(r)) {
                checkpoints.keepEndedCopy(r);
            } else {
                checkpoints.checkpoint(CheckpointRequest.newBuilder()
                        .setProcessId(r.getProcessId())
                        .setIncremental(true)
                        .build());
            }
        } catch (ClusterException e) {
            LOG.debug("policy checkpoint of {} skipped: {}", r.getProcessId(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.info("policy checkpoint of " + r.getProcessId() + " failed: " + e.getMessage());
        } finally {
            inFlight.remove(r.getProcessId());
            slots.release();
        }
    }

    /** Whether {@code r}'s policy asks for a checkpoint now, or it ended and only its owner holds its files and output. */
    boolean due(OwnershipRecord r, long now) {
        if (RecordStates.ended(r)) {
            return r.getMigrationId().isEmpty()
                    && membership.node(r.getOwner()).isPresent()
                    && r.getEndedCopyNodesList().stream().allMatch(n -> n.equals(r.getOwner()));
        }
        CheckpointPolicy policy = r.getSpec().getCheckpointPolicy();
        boolean hasPolicy = policy.getIntervalMillis() > 0 || policy.getOnMigrate();
        if (!hasPolicy
                || !r.getMigrationId().isEmpty()
                || membership.node(r.getOwner()).isEmpty()
                || (r.getState() != ProcessState.PROCESS_STATE_RUNNING
                        && r.getState() != ProcessState.PROCESS_STATE_FROZEN)) {
            return false;
        }
        if (!r.getCheckpointNodesList().contains(r.getOwner()) || !DurableCheckpoints.durable(r)) {
            return true;
        }
        return policy.getIntervalMillis() > 0 && now - r.getCheckpointMillis() >= policy.getIntervalMillis();
    }
}
