package pm.coordinator.process;

import io.grpc.StatusRuntimeException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.coordinator.ClusterException;
import pm.coordinator.CoordinatorMetrics;
import pm.coordinator.agent.AgentCall;
import pm.coordinator.agent.AgentClients;
import pm.coordinator.events.EventHub;
import pm.coordinator.migration.RetainedCopies;
import pm.coordinator.zk.Membership;
import pm.coordinator.zk.OwnershipStore;
import pm.coordinator.zk.Versioned;
import pm.v1.CheckpointInfo;
import pm.v1.CheckpointRequest;
import pm.v1.ClusterEvent;
import pm.v1.NodeRecord;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessRef;
import pm.v1.ReplicaPeer;
import pm.v1.ReplicateReply;
import pm.v1.ReplicateRequest;

/**
 * Checkpoints that count: the owner writes one (incremental when it can), pushes it to one other
 * live node, and only then does the ownership record name it, with the nodes holding it. A
 * checkpoint no other node took stands on its owner but does not replace a durable one in the
 * record. The replica node is sticky (the one already holding the chain gets only the increment).
 * Stateless; runs on the caller's thread.
 */
public final class DurableCheckpoints {
    private static final Logger LOG = LoggerFactory.getLogger(DurableCheckpoints.class);

    private final OwnershipStore store;
    private final Membership membership;
    private final AgentClients agents;
    private final EventHub events;
    private final CoordinatorMetrics metrics;
    private final Clock clock;

    public DurableCheckpoints(
            OwnershipStore store,
            Membership membership,
            AgentClients agents,
            EventHub events,
            CoordinatorMetrics metrics,
            Clock clock) {
        this.store = store;
        this.membership = membership;
        this.agents = agents;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Whether the record's checkpoint is held by another node than its owner. */
    public static boolean durable(OwnershipRecord r) {
        return !r.getLastCheckpointId().isEmpty()
                && r.getCheckpointNodesList().stream().anyMatch(n -> !n.equals(r.getOwner()));
    }

    /** Checkpoints a running or frozen process on its owner and makes the checkpoint durable. */
    public CheckpointInfo checkpoint(CheckpointRequest request) {
        OwnershipRecord r = store.get(request.getProcessId()).value();
        if (!r.getMigrationId().isEmpty()) {
            throw new ClusterException(
                    ClusterException.Reason.WRONG_STATE, "process " + r.getProcessId() + " is migrating");
        }
        NodeRecord owner = membership
                .node(r.getOwner())
                .orElseThrow(() -> new ClusterException(
                        ClusterException.Reason.UNAVAILABLE,
                        "node " + r.getOwner() + " (the owner of " + r.getProcessId() + ") is down"));
        CheckpointInfo info = AgentCall.on(
                owner.getName(), () -> agents.blocking(owner, r.getEpoch()).checkpoint(request));
        record(r, owner, info.getCheckpointId());
        return info;
    }

    /**
     * Replicates {@code checkpointId}, which the owner just took, and names it in the record if it
     * became durable (or if the record names no durable checkpoint yet); returns the record as it is now.
     */
    public OwnershipRecord record(OwnershipRecord r, NodeRecord owner, String checkpointId) {
        List<String> nodes = replicate(r, owner, checkpointId);
        if (nodes.size() == 1) {
            OwnershipRecord now = store.get(r.getProcessId()).value();
            if (durable(now)) {
                return now; // the durable one stays named: it is what a recovery can use
            }
        }
        OwnershipRecord written = change(r, b -> {
            b.setLastCheckpointId(checkpointId)
                    .clearCheckpointNodes()
                    .addAllCheckpointNodes(nodes)
                    .setCheckpointMillis(clock.millis());
            // Durable now: the copy the last migration's source kept is not needed any more.
            return nodes.size() > 1 ? RetainedCopies.clear(b) : b;
        });
        dropStale(r, nodes);
        return written;
    }

    /**
     * Copies an ended process's files and output from its owner to one other node and names that node in
     * the record, so they outlive the owner; its checkpoints, which nothing will run again, are forgotten.
     */
    public void keepEndedCopy(OwnershipRecord r) {
        NodeRecord owner = membership
                .node(r.getOwner())
                .orElseThrow(() -> new ClusterException(
                        ClusterException.Reason.UNAVAILABLE,
                        "node " + r.getOwner() + " (the owner of " + r.getProcessId() + ") is down"));
        List<String> nodes = replicate(r, owner, "");
        if (nodes.size() == 1) {
            return; // no other node took it: tried again later
        }
        change(
                r,
                b -> b.clearEndedCopyNodes()
                        .addAllEndedCopyNodes(nodes)
                        .setLastCheckpointId("")
                        .clearCheckpointNodes()
                        .setCheckpointMillis(0));
        dropStale(r, nodes);
    }

    /** Pushes the owner's {@code checkpointId} (empty for an ended process: its files and output) to one other node; returns the nodes holding it (the owner first). */
    public List<String> replicate(OwnershipRecord r, NodeRecord owner, String checkpointId) {
        List<String> nodes = new ArrayList<>(List.of(owner.getName()));
        Optional<NodeRecord> peer = replicaFor(r);
        if (peer.isEmpty()) {
            return nodes;
        }
        try {
            ReplicateReply reply = agents.blocking(owner, r.getEpoch())
                    .replicate(ReplicateRequest.newBuilder()
                            .setProcessId(r.getProcessId())
                            .setCheckpointId(checkpointId)
                            .addPeers(ReplicaPeer.newBuilder()
                                    .setNode(peer.get().getName())
                                    .setAddress(peer.get().getAddress()))
                            .build());
            nodes.addAll(reply.getNodesList());
            metrics.replicated("ok", reply.getBytesSent());
            events.publish(
                    ClusterEvent.Kind.KIND_REPLICATED,
                    r.getProcessId(),
                    owner.getName(),
                    r.getEpoch(),
                    (checkpointId.isEmpty() ? "files and output" : "checkpoint " + checkpointId) + " held by "
                            + String.join(", ", nodes) + " (" + reply.getBytesSent() + " bytes sent)");
        } catch (StatusRuntimeException e) {
            metrics.replicated("failed", 0);
            LOG.warn(
                    "replicating " + (checkpointId.isEmpty() ? "the ended copy" : "checkpoint " + checkpointId) + " of "
                            + r.getProcessId() + " to " + peer.get().getName()
                            + " failed: " + e.getStatus());
        }
        return nodes;
    }

    /** Tells the nodes that held {@code before}'s checkpoint, and hold none of {@code nodes}', to forget their replica. */
    public void dropStale(OwnershipRecord before, List<String> nodes) {
        for (String old : before.getCheckpointNodesList()) {
            if (!nodes.contains(old) && !old.equals(before.getOwner())) {
                dropReplica(old, before.getProcessId());
            }
        }
    }

    /** The node already holding the process's chain if it still can, else the least loaded other node. */
    private Optional<NodeRecord> replicaFor(OwnershipRecord r) {
        for (String n : r.getCheckpointNodesList()) {
            if (!n.equals(r.getOwner()) && !membership.isDraining(n)) {
                Optional<NodeRecord> sticky = membership.node(n);
                if (sticky.isPresent()) {
                    return sticky;
                }
            }
        }
        return membership.live().stream()
                .filter(n -> !n.getName().equals(r.getOwner()) && !membership.isDraining(n.getName()))
                .min(Comparator.comparingDouble(DurableCheckpoints::fill).thenComparing(NodeRecord::getName));
    }

    private static double fill(NodeRecord n) {
        return n.getCapacityBytes() == 0 ? 1 : (double) n.getMemoryBytes() / n.getCapacityBytes();
    }

    /** Tells {@code node} to forget its replica of {@code processId}; one that is away keeps it (disk only: the record names the replica that counts). */
    public void dropReplica(String node, String processId) {
        membership.node(node).ifPresent(n -> {
            try {
                // Forked: the caller's request ending must not cancel it.
                io.grpc.Context.current()
                        .fork()
                        .run(() -> agents.future(n, 0)
                                .dropReplica(ProcessRef.newBuilder()
                                        .setProcessId(processId)
                                        .build()));
            } catch (RuntimeException e) {
                // best effort: a stale replica costs disk, never correctness (the record names the one that counts)
                LOG.info("cannot tell " + node + " to drop its replica of " + processId + ": " + e);
            }
        });
    }

    /** Applies {@code edit} while the record still names the same owner and epoch and no migration is in flight. */
    private OwnershipRecord change(
            OwnershipRecord basis, java.util.function.UnaryOperator<OwnershipRecord.Builder> edit) {
        for (int attempt = 0; ; attempt++) {
            Versioned<OwnershipRecord> now = store.get(basis.getProcessId());
            OwnershipRecord r = now.value();
            if (!r.getOwner().equals(basis.getOwner())
                    || r.getEpoch() != basis.getEpoch()
                    || !r.getMigrationId().isEmpty()) {
                throw new ClusterException(
                        ClusterException.Reason.CONFLICT,
                        "process " + r.getProcessId()
                                + " moved or started moving meanwhile; its checkpoint is not recorded");
            }
            OwnershipRecord changed =
                    edit.apply(r.toBuilder()).setUpdatedMillis(clock.millis()).build();
            try {
                store.update(changed, now.version());
                return changed;
            } catch (ClusterException e) {
                if (e.reason() != ClusterException.Reason.CONFLICT || attempt >= 4) {
                    throw e;
                }
            }
        }
    }
}
