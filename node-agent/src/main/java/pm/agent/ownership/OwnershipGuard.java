package pm.agent.ownership;

import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.agent.AgentException;
import pm.agent.process.HostedProcess;
import pm.agent.process.ProcessHost;
import pm.common.cluster.ClusterLayout;
import pm.common.cluster.MigrationDecision;
import pm.v1.MigrationStatusReply.Decision;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessState;

/**
 * Makes this agent run a process only while ZooKeeper's ownership record names it at the process's
 * epoch. A spawn must be backed by such a record; a restarted agent keeps only what it still owns;
 * and when the session is in doubt (Curator reports SUSPENDED — LOST is not always delivered) every
 * running process is frozen until the connection is back and each one's record has been read
 * again: still ours → thawed, someone else's → dropped here. Connection events run on one thread
 * of this class ({@code pm-agent-ownership}); each process carries its own fence ({@link HostedProcess#fence}).
 */
public final class OwnershipGuard implements Ownership, ConnectionStateListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OwnershipGuard.class);

    private final CuratorFramework zk;
    private final ClusterLayout layout;
    private final String node;
    private final ProcessHost host;
    private final SessionLease lease;
    private final ExecutorService events = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "pm-agent-ownership");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean inDoubt;
    private volatile boolean recordsLoaded;
    /** The ownership records as ZooKeeper's watches report them: a confirmation without a round trip. */
    private final CuratorCache records;

    public OwnershipGuard(
            CuratorFramework zk, ClusterLayout layout, String node, ProcessHost host, SessionLease lease) {
        this.lease = lease;
        this.zk = zk;
        this.layout = layout;
        this.node = node;
        this.host = host;
        this.records = CuratorCache.build(zk, layout.processes());
    }

    /** Starts following the ownership records; call once the client is connected. */
    public void start() {
        records.listenable()
                .addListener(CuratorCacheListener.builder()
                        .forCreates(this::recordSeen)
                        .forChanges((before, after) -> recordSeen(after))
                        .forDeletes(d -> processId(d)
                                .ifPresent(id -> events.execute(() -> {
                                    dropIfNotOwned(id);
                                    host.handedOver().dropUnlessNamed(id, Optional.empty());
                                })))
                        .forInitialized(() -> recordsLoaded = true)
                        .build());
        records.start();
    }

    private Optional<String> processId(ChildData d) {
        String parent = layout.processes() + "/";
        return d.getPath().startsWith(parent) && d.getPath().length() > parent.length()
                ? Optional.of(d.getPath().substring(parent.length()))
                : Optional.empty();
    }

    /**
     * A record changed: if it no longer names this node at the epoch of a copy running here (the
     * process was recovered elsewhere while this node was away, say), that copy goes now rather than at
     * the next reconnect. Copies in a migration, prepared or suspended are left to their own protocols.
     */
    private void recordSeen(ChildData d) {
        Optional<String> id = processId(d);
        if (id.isEmpty()) {
            return;
        }
        OwnershipRecord r;
        try {
            r = OwnershipRecord.parseFrom(d.getData());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return;
        }
        if (host.handedOver().holds(id.get())) {
            events.execute(() -> host.handedOver().dropUnlessNamed(id.get(), Optional.of(r)));
        }
        host.find(id.get()).ifPresent(h -> {
            if (!(r.getOwner().equals(node) && r.getEpoch() <= h.epoch) && heldAsOwn(h)) {
                events.execute(() -> dropIfNotOwned(id.get()));
            } else if (r.getOwner().equals(node)
                    && r.getEpoch() == h.epoch
                    && r.getCheckpointNodesList().stream().anyMatch(n -> !n.equals(node))) {
                h.durability.named(r.getLastCheckpointId()); // held by another node too: a recovery starts there
            }
        });
    }

    /**
     * A copy this node holds as the process itself: running, frozen, or ended here (its output and
     * files, served until the process is removed). Copies in a migration, prepared or suspended follow
     * their own protocols.
     */
    private static boolean heldAsOwn(HostedProcess h) {
        return h.is(ProcessState.PROCESS_STATE_RUNNING) || h.is(ProcessState.PROCESS_STATE_FROZEN) || h.hasEnded();
    }

    /** Reads the record of {@code id} again on this class's thread and drops the local copy if it is not this node's any more. */
    public void verifySoon(String id) {
        events.execute(() -> dropIfNotOwned(id));
    }

    /** On this class's thread: reads the record again and drops the local copy if it is not this node's any more. */
    private void dropIfNotOwned(String id) {
        host.find(id).ifPresent(h -> {
            try {
                if (!heldAsOwn(h) || owns(id, h.epoch)) {
                    return;
                }
                LOG.warn("node " + node + ": process " + id + " at epoch " + h.epoch
                        + " is owned elsewhere now; dropping this copy");
                host.kill(id);
            } catch (AgentException e) {
                LOG.debug("dropping " + id, e);
            }
        });
    }

    /** The modules (lowercase hex SHA-256) every ownership record names; empty while the records are not known for sure. */
    public java.util.Optional<java.util.Set<String>> modulesNamed() {
        if (!recordsLoaded || inDoubt) {
            return java.util.Optional.empty();
        }
        java.util.Set<String> named = new java.util.HashSet<>();
        records.stream().forEach(d -> {
            try {
                var sha = OwnershipRecord.parseFrom(d.getData()).getModuleSha256();
                if (!sha.isEmpty()) {
                    named.add(java.util.HexFormat.of().formatHex(sha.toByteArray()));
                }
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                // not a record (the parent node): names nothing
            }
        });
        return inDoubt ? java.util.Optional.empty() : java.util.Optional.of(named);
    }

    /** The id of the ZooKeeper session this agent is on now. */
    public long sessionId() throws Exception {
        return zk.getZookeeperClient().getZooKeeper().getSessionId();
    }

    /** The ownership record of {@code processId}, if there is one. */
    public Optional<OwnershipRecord> record(String processId) {
        try {
            return Optional.of(OwnershipRecord.parseFrom(zk.getData().forPath(layout.process(processId))));
        } catch (KeeperException.NoNodeException e) {
            return Optional.empty();
        } catch (Exception e) {
            throw new AgentException(
                    AgentException.Reason.UNAVAILABLE,
                    "cannot read the ownership of " + processId + " from ZooKeeper: " + e.getMessage(),
                    e);
        }
    }

    @Override
    public void requireOwned(String processId, long epoch) {
        if (inDoubt) {
            throw new AgentException(AgentException.Reason.UNAVAILABLE, "node " + node + " is cut off from ZooKeeper");
        }
        if (cachedOwner(processId, epoch)) {
            return; // the coordinator's write already reached this node through its watch
        }
        // Unknown or different here: the cache may lag the coordinator's write, so ask ZooKeeper itself.
        OwnershipRecord r = record(processId)
                .orElseThrow(() -> new AgentException(
                        AgentException.Reason.WRONG_STATE,
                        "process " + processId
                                + " has no ownership record: only the coordinator starts processes on node " + node));
        if (!r.getOwner().equals(node) || r.getEpoch() != epoch) {
            throw new AgentException(
                    AgentException.Reason.STALE_EPOCH,
                    "process " + processId + " is owned by node " + r.getOwner() + " at epoch " + r.getEpoch()
                            + ", not by " + node + " at epoch " + epoch);
        }
    }

    private boolean cachedOwner(String processId, long epoch) {
        return records.get(layout.process(processId))
                .map(d -> {
                    try {
                        OwnershipRecord r = OwnershipRecord.parseFrom(d.getData());
                        return r.getOwner().equals(node) && r.getEpoch() == epoch;
                    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                        return false;
                    }
                })
                .orElse(false);
    }

    @Override
    public boolean owns(String processId, long epoch) {
        return record(processId)
                .map(r -> r.getOwner().equals(node) && r.getEpoch() >= epoch)
                .orElse(false);
    }

    /**
     * The commit point of a coordinated migration is the ownership record naming the target at the
     * new epoch; while the record still names this migration it is undecided; anything else is an abort.
     */
    @Override
    public Decision decision(String migrationId, String processId, long epoch) {
        return switch (MigrationDecision.decide(migrationId, node, epoch, record(processId))) {
            case COMMITTED -> Decision.DECISION_COMMITTED;
            case UNDECIDED -> Decision.DECISION_UNDECIDED;
            case ABORTED, SUPERSEDED -> Decision.DECISION_ABORTED;
        };
    }

    @Override
    public Decision decisionAsSource(String migrationId, String processId, long fromEpoch) {
        Optional<OwnershipRecord> r = record(processId);
        // The target is not known here; for the source a commit and a recovery elsewhere end alike.
        return switch (MigrationDecision.decide(migrationId, "", fromEpoch + 1, r)) {
            case COMMITTED, SUPERSEDED -> Decision.DECISION_COMMITTED;
            case UNDECIDED -> Decision.DECISION_UNDECIDED;
            case ABORTED ->
                r.get().getOwner().equals(node) && r.get().getEpoch() == fromEpoch
                        ? Decision.DECISION_ABORTED
                        : Decision.DECISION_UNDECIDED;
        };
    }

    @Override
    public void stateChanged(CuratorFramework client, ConnectionState state) {
        switch (state) {
            case SUSPENDED, LOST -> {
                inDoubt = true;
                events.execute(this::fenceAll);
            }
            case RECONNECTED -> events.execute(this::verifyAll);
            default -> {}
        }
    }

    /**
     * Fences every process: none runs until its record has been read again, including one a checkpoint
     * or migration holds now (whatever that operation does next, it cannot let it run). The fence is not
     * the user's freeze: states stay as they are.
     */
    private void fenceAll() {
        int count = 0;
        for (HostedProcess h : host.all()) {
            try {
                ProcessHost.await(h.fence());
                count++;
            } catch (AgentException e) {
                LOG.debug("fencing " + h.id, e); // it ended meanwhile
            }
        }
        LOG.warn("node " + node + ": ZooKeeper connection in doubt; fenced " + count + " processes");
    }

    /** Reads every process's record again; owned ones run on, the others are dropped. */
    private void verifyAll() {
        int kept = 0;
        int dropped = 0;
        for (HostedProcess h : host.all()) {
            boolean owned;
            try {
                owned = h.is(ProcessState.PROCESS_STATE_PREPARED) || owns(h.id, h.epoch);
            } catch (AgentException e) {
                LOG.warn("cannot verify " + h.id + "; staying fenced", e);
                return; // still in doubt: the next RECONNECTED tries again
            }
            if (owned) {
                kept++;
                thaw(h);
            } else {
                dropped++;
                try {
                    host.kill(h.id);
                } catch (AgentException e) {
                    LOG.debug("dropping " + h.id, e);
                }
            }
        }
        inDoubt = false;
        try {
            lease.accept(sessionId()); // every record read again under this session: its answers count
        } catch (Exception e) {
            LOG.warn("cannot read the ZooKeeper session; the lease stays out until the next reconnect", e);
        }
        LOG.info("node " + node + ": ZooKeeper connection back; kept " + kept + " processes, dropped " + dropped
                + " owned elsewhere");
    }

    private static void thaw(HostedProcess h) {
        h.lock.lock();
        try {
            h.unfence();
        } finally {
            h.lock.unlock();
        }
    }

    /**
     * Tells the cluster that a process this node owns at {@code epoch} ended: its record's state
     * becomes {@code state} (with the status or failure and the time), so that no recovery ever runs it again. Written with the record's
     * version, and only while the record still names this node at that epoch with no migration in
     * flight; a lost race is retried a few times, then left (the owner's live view still says it).
     * Runs on this class's thread.
     */
    public void recordEnded(String processId, long epoch, pm.v1.ProcessState state, int exitStatus, String failure) {
        long endedMillis = System.currentTimeMillis();
        events.execute(() -> {
            for (int attempt = 0; attempt < 5; attempt++) {
                try {
                    org.apache.zookeeper.data.Stat stat = new org.apache.zookeeper.data.Stat();
                    OwnershipRecord r = OwnershipRecord.parseFrom(
                            zk.getData().storingStatIn(stat).forPath(layout.process(processId)));
                    if (!r.getOwner().equals(node)
                            || r.getEpoch() != epoch
                            || !r.getMigrationId().isEmpty()
                            || r.getState() == state) {
                        return;
                    }
                    zk.setData()
                            .withVersion(stat.getVersion())
                            .forPath(
                                    layout.process(processId),
                                    r.toBuilder()
                                            .setState(state)
                                            .setExitStatus(exitStatus)
                                            .setFailure(failure)
                                            .setEndedMillis(endedMillis)
                                            // ended: never run again, so no copy of a migration is needed
                                            .clearRetainedNode()
                                            .clearRetainedMigrationId()
                                            .clearRetainedMillis()
                                            .setUpdatedMillis(System.currentTimeMillis())
                                            .build()
                                            .toByteArray());
                    return;
                } catch (KeeperException.BadVersionException e) {
                    // the coordinator wrote meanwhile: read again
                } catch (KeeperException.NoNodeException e) {
                    return; // killed meanwhile
                } catch (Exception e) {
                    LOG.info("cannot record the end of " + processId + ": " + e.getMessage());
                    return;
                }
            }
        });
    }

    @Override
    public void close() {
        records.close();
        events.shutdownNow();
        try {
            events.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
