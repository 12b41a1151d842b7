package pm.coordinator.recovery;

import com.google.common.util.concurrent.ListenableFuture;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import pm.coordinator.agent.AgentClients;
import pm.coordinator.zk.Membership;
import pm.coordinator.zk.OwnershipCache;
import pm.coordinator.zk.Versioned;
import pm.v1.ListRequest;
import pm.v1.ListResponse;
import pm.v1.NodeRecord;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessInfo;

/**
 * Finds processes whose ownership record names a live node that holds no copy of them: the record
 * says where the process is, and nobody has it. A node's own loss is {@link NodeRecovery}'s first
 * case; this is the rest — a copy dropped on a record read a moment before a failed recovery put the
 * record back, a disk replaced under a running agent. Such a process is recovered like a lost node's.
 * A record counts only once it named the same owner at the same epoch, while every look at that owner
 * for at least {@code after} found neither the process nor its image arriving: a spawn, an import or a
 * restarted agent's own recovery settles well within that. Attempts that leave owner and epoch as they
 * were (a migration that fails on the missing copy, a checkpoint) do not start the wait again. Confined to the thread calling
 * {@link #scan}.
 */
public final class UnhostedProcesses {
    private record Miss(String owner, long epoch, long sinceMillis) {}

    private final OwnershipCache records;
    private final Membership membership;
    private final AgentClients agents;
    private final Duration after;
    private final Duration callDeadline;
    private final Clock clock;
    private Map<String, Miss> misses = new HashMap<>();

    public UnhostedProcesses(
            OwnershipCache records,
            Membership membership,
            AgentClients agents,
            Duration after,
            Duration callDeadline,
            Clock clock) {
        this.records = records;
        this.membership = membership;
        this.agents = agents;
        this.after = after;
        this.callDeadline = callDeadline;
        this.clock = clock;
    }

    /** Asks every live node what it holds; answers the records (id → version) unhosted for {@code after} by now. */
    Map<String, Integer> scan() {
        Map<String, ListenableFuture<ListResponse>> asked = new HashMap<>();
        for (NodeRecord node : membership.live()) {
            asked.put(
                    node.getName(),
                    agents.future(node)
                            .withDeadlineAfter(callDeadline.toMillis(), TimeUnit.MILLISECONDS)
                            .list(ListRequest.getDefaultInstance()));
        }
        Map<String, Set<String>> held = new HashMap<>(); // only the nodes that answered: a silent one proves nothing
        for (Map.Entry<String, ListenableFuture<ListResponse>> a : asked.entrySet()) {
            try {
                ListResponse listed = a.getValue().get();
                Set<String> ids = new HashSet<>(listed.getArrivingProcessIdsList());
                listed.getProcessesList().stream()
                        .map(ProcessInfo::getProcessId)
                        .forEach(ids::add);
                held.put(a.getKey(), ids);
            } catch (ExecutionException e) {
                // not answering now: its processes are neither confirmed nor suspected this time
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Map.of();
            }
        }
        long now = clock.millis();
        Map<String, Miss> next = new HashMap<>();
        Map<String, Integer> unhosted = new HashMap<>();
        // Read after the answers: a record written since is newer than what they could show, and starts afresh.
        for (Versioned<OwnershipRecord> v : records.all()) {
            OwnershipRecord r = v.value();
            Set<String> ids = held.get(r.getOwner());
            if (ids == null || ids.contains(r.getProcessId())) {
                continue;
            }
            Miss before = misses.get(r.getProcessId());
            Miss miss = before != null && before.owner().equals(r.getOwner()) && before.epoch() == r.getEpoch()
                    ? before
                    : new Miss(r.getOwner(), r.getEpoch(), now);
            next.put(r.getProcessId(), miss);
            if (r.getMigrationId().isEmpty() && now - miss.sinceMillis() >= after.toMillis()) {
                unhosted.put(r.getProcessId(), v.version());
            }
        }
        misses = next;
        return unhosted;
    }
}
