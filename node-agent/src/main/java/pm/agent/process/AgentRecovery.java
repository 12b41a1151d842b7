package pm.agent.process;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.agent.migration.MigrationSource;
import pm.agent.migration.MigrationTarget;
import pm.agent.ownership.Ownership;
import pm.runtime.interp.CompiledModule;
import pm.v1.ProcessRecord;
import pm.v1.ProcessState;

/**
 * Brings an agent's processes back after a restart from its records and checkpoints: OWNED ones
 * run again from their last checkpoint (or the staging file a migration left, until the first
 * checkpoint after it; or from the start if they never had one), SUSPENDED ones wait for resume, PREPARED ones are held
 * frozen until their migration is decided, HANDED_OFF ones stay gone. In a cluster, a process
 * whose ownership record names another node (or no longer exists) is dropped instead. Runs once,
 * before the agent serves.
 */
public final class AgentRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(AgentRecovery.class);

    private final ProcessHost host;
    private final MigrationSource source;
    private final MigrationTarget target;
    private final Ownership ownership;

    public AgentRecovery(ProcessHost host, MigrationSource source, MigrationTarget target, Ownership ownership) {
        this.host = host;
        this.source = source;
        this.target = target;
        this.ownership = ownership;
    }

    /** Where output resumes after a restore from the latest checkpoint; the record's offset if none can be read. */
    private long latestLogOffset(ProcessRecord r) {
        try {
            return host.stores()
                    .latest(r.getProcessId())
                    .map(ProcessHost::logOffsetOf)
                    .orElse(r.getLogOffset());
        } catch (pm.agent.store.StoreException e) {
            LOG.warn("process " + r.getProcessId() + ": " + e.getMessage());
            return r.getLogOffset();
        }
    }

    public void recover() {
        for (ProcessRecord r : host.records().all()) {
            try {
                recover(r);
            } catch (RuntimeException e) {
                // One unreadable process must not keep the agent from serving the others.
                LOG.warn("cannot recover process " + r.getProcessId() + ": " + e.getMessage(), e);
            }
        }
    }

    private void recover(ProcessRecord r) {
        switch (r.getDisposition()) {
            case DISPOSITION_HANDED_OFF -> source.rememberHandOff(r);
            case DISPOSITION_ENDED -> {
                if (!ownership.owns(r.getProcessId(), r.getEpoch())) {
                    host.forget(r.getProcessId()); // removed (or recovered elsewhere) while this agent was away
                    return;
                }
                host.ended().adopt(r);
            }
            case DISPOSITION_OWNED, DISPOSITION_SUSPENDED, DISPOSITION_PREPARED -> {
                if (r.getDisposition() != ProcessRecord.Disposition.DISPOSITION_PREPARED
                        && !ownership.owns(r.getProcessId(), r.getEpoch())) {
                    // The cluster gave it to another node (or ended it) while this agent was away.
                    LOG.info("process " + r.getProcessId()
                            + " is no longer owned by this node; dropping its local copy");
                    host.forget(r.getProcessId());
                    return;
                }
                CompiledModule module = host.modules().module(r.getSpec());
                ProcessState initial = r.getDisposition() == ProcessRecord.Disposition.DISPOSITION_SUSPENDED
                        ? ProcessState.PROCESS_STATE_SUSPENDED
                        : ProcessState.PROCESS_STATE_PREPARED;
                // Output resumes where the state it restarts from left the log.
                long logOffset = r.hasStaged() ? r.getStaged().getLogOffset() : latestLogOffset(r);
                HostedProcess h = new HostedProcess(
                        r.getProcessId(),
                        r.getSpec(),
                        module,
                        host.logs().starting(r.getProcessId(), logOffset),
                        r.getEpoch(),
                        initial,
                        host.clustered());
                h.fileInputs = r.getFileInputsList();
                h.lock.lock();
                try {
                    host.adopt(h);
                    if (r.getDisposition() == ProcessRecord.Disposition.DISPOSITION_SUSPENDED) {
                        // Held even if its checkpoint cannot be read now (sealed under a key this agent was
                        // not given): a resume says why, and a restart with the right key file finds it whole.
                        host.stores().latest(h.id).ifPresent(c -> h.lastCheckpointId = c.checkpointId());
                        return;
                    }
                    boolean prepared = r.getDisposition() == ProcessRecord.Disposition.DISPOSITION_PREPARED;
                    if (r.hasStaged()) {
                        host.restoreFromStaging(h, r.getStaged(), prepared || r.getFrozen());
                    } else {
                        host.checkpoints().restoreLatestOrRestart(h, prepared || r.getFrozen());
                    }
                    if (prepared) {
                        h.preparedHere();
                        target.holdPrepared(r.getMigrationId(), h, r.getPeer(), r.getStaged());
                    }
                } finally {
                    h.lock.unlock();
                }
                host.runsAgain(h);
            }
            default -> LOG.warn("process " + r.getProcessId() + " has an unknown disposition " + r.getDisposition());
        }
    }
}
