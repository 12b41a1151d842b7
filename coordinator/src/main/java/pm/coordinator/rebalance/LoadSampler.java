package pm.coordinator.rebalance;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import pm.coordinator.ClusterException;
import pm.coordinator.agent.AgentClients;
import pm.coordinator.zk.Membership;
import pm.coordinator.zk.OwnershipCache;
import pm.coordinator.zk.Versioned;
import pm.v1.ListRequest;
import pm.v1.ListResponse;
import pm.v1.NodeRecord;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessInfo;
import pm.v1.ProcessState;

/**
 * Samples the load of the live, non-draining nodes: each agent's {@code List} gives its processes'
 * memory (64 KiB pages) and instructions retired; the ownership records say which of them the cluster
 * owns there, and how each may move (pins, node labels, a migration in flight). CPU rate is the rise of
 * instructions retired over at least {@code minWindow} between samples (the last rate stands until a
 * window has passed; a process first seen counts 0). A process whose ownership epoch rose since the
 * last sample moved (a manual migration, a drain, a resume) and counts as recently moved from then.
 * Draining nodes are left to the drain, and a
 * process whose record names another owner (a copy on its way in or out) is not counted twice.
 * Confined to the thread running a round (the rebalancer's round lock).
 */
public final class LoadSampler {
    private static final long PAGE_BYTES = 65_536;

    private record Counter(long retired, long atNanos, double rate) {}

    private final Membership membership;
    private final OwnershipCache records;
    private final AgentClients agents;
    private final RecentMoves recent;
    private final LongSupplier nanoClock;
    private final Duration minWindow;
    private final Duration callDeadline;
    private Map<String, Counter> counters = new HashMap<>();
    /** The ownership epoch each process had at the last sample: a higher one means it moved since. */
    private Map<String, Long> epochs = new HashMap<>();

    public LoadSampler(
            Membership membership,
            OwnershipCache records,
            AgentClients agents,
            RecentMoves recent,
            LongSupplier nanoClock,
            Duration minWindow,
            Duration callDeadline) {
        this.membership = membership;
        this.records = records;
        this.agents = agents;
        this.recent = recent;
        this.nanoClock = nanoClock;
        this.minWindow = minWindow;
        this.callDeadline = callDeadline;
    }

    /** The nodes and processes now; UNAVAILABLE if a node does not answer (a round needs them all). */
    public ClusterLoad sample(Duration recentMoveCooldown) {
        Set<String> draining = membership.draining();
        List<NodeCapacity> nodes = new ArrayList<>();
        List<ProcessDemand> processes = new ArrayList<>();
        Map<String, Counter> seen = new HashMap<>();
        Map<String, Long> seenEpochs = new HashMap<>();
        List<NodeRecord> live = membership.live().stream()
                .filter(n -> !draining.contains(n.getName()))
                .sorted(java.util.Comparator.comparing(NodeRecord::getName))
                .toList();
        // Every node is asked at once: a round costs the slowest answer, not the sum.
        Map<String, ListenableFuture<ListResponse>> asked = new HashMap<>();
        for (NodeRecord node : live) {
            asked.put(
                    node.getName(),
                    agents.future(node)
                            .withDeadlineAfter(callDeadline.toMillis(), TimeUnit.MILLISECONDS)
                            .list(ListRequest.getDefaultInstance()));
        }
        for (NodeRecord node : live) {
            List<ProcessInfo> listed;
            try {
                listed = asked.get(node.getName()).get().getProcessesList();
            } catch (ExecutionException e) {
                Status status = Status.fromThrowable(e.getCause());
                asked.values().forEach(f -> f.cancel(true));
                throw new ClusterException(
                        ClusterException.Reason.UNAVAILABLE,
                        "cannot sample the load: node " + node.getName() + ": "
                                + (status.getDescription() == null ? status.getCode() : status.getDescription()),
                        e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                asked.values().forEach(f -> f.cancel(true));
                throw new ClusterException(
                        ClusterException.Reason.UNAVAILABLE, "interrupted while sampling the load", e);
            }
            long now = nanoClock.getAsLong();
            long used = 0;
            int count = 0;
            for (ProcessInfo info : listed) {
                if (info.getState() != ProcessState.PROCESS_STATE_RUNNING
                        && info.getState() != ProcessState.PROCESS_STATE_FROZEN
                        && info.getState() != ProcessState.PROCESS_STATE_MIGRATING) {
                    continue;
                }
                OwnershipRecord record =
                        records.find(info.getProcessId()).map(Versioned::value).orElse(null);
                if (record == null || !record.getOwner().equals(node.getName())) {
                    continue;
                }
                Long lastEpoch = epochs.get(info.getProcessId());
                if (lastEpoch != null && record.getEpoch() > lastEpoch) {
                    recent.moved(info.getProcessId()); // migrated (or resumed) by someone else since the last sample
                }
                seenEpochs.put(info.getProcessId(), record.getEpoch());
                long memory = info.getMemoryPages() * PAGE_BYTES;
                double rate = rate(info, now);
                seen.put(info.getProcessId(), counter(info, now));
                processes.add(new ProcessDemand(
                        info.getProcessId(),
                        node.getName(),
                        memory,
                        rate,
                        record.getPlacement().getNodeLabelsMap(),
                        mobility(record, info, recentMoveCooldown)));
                used += memory;
                count++;
            }
            nodes.add(new NodeCapacity(
                    node.getName(),
                    node.getCapacityBytes(),
                    node.getCapacityProcesses(),
                    Math.max(used, node.getMemoryBytes()),
                    Math.max(count, node.getProcesses()),
                    node.getLabelsMap()));
        }
        counters = seen;
        epochs = seenEpochs;
        return LoadModel.evaluate(nodes, processes);
    }

    private ProcessDemand.Mobility mobility(OwnershipRecord record, ProcessInfo info, Duration recentMoveCooldown) {
        if (record.getPlacement().getPinned()
                || !record.getPlacement().getNode().isEmpty()) {
            return ProcessDemand.Mobility.PINNED;
        }
        if (!record.getMigrationId().isEmpty() || info.getState() == ProcessState.PROCESS_STATE_MIGRATING) {
            return ProcessDemand.Mobility.MIGRATING;
        }
        if (recent.movedWithin(record.getProcessId(), recentMoveCooldown)) {
            return ProcessDemand.Mobility.RECENTLY_MOVED;
        }
        return ProcessDemand.Mobility.FREE;
    }

    private double rate(ProcessInfo info, long now) {
        Counter c = counters.get(info.getProcessId());
        if (c == null) {
            return 0;
        }
        long elapsed = now - c.atNanos();
        if (elapsed < minWindow.toNanos()) {
            return c.rate();
        }
        long delta = info.getInstructionsRetired() - c.retired();
        return delta <= 0 ? 0 : delta * 1e9 / elapsed;
    }

    /** The counter to keep: the old base until a window has passed, then this sample. */
    private Counter counter(ProcessInfo info, long now) {
        Counter c = counters.get(info.getProcessId());
        if (c != null && now - c.atNanos() < minWindow.toNanos()) {
            return c;
        }
        return new Counter(info.getInstructionsRetired(), now, rate(info, now));
    }
}
