package pm.coordinator.process;

import io.grpc.StatusRuntimeException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import pm.coordinator.agent.AgentClients;
import pm.coordinator.zk.OwnershipCache;
import pm.coordinator.zk.OwnershipStore;
import pm.coordinator.zk.Versioned;
import pm.v1.ClusterListRequest;
import pm.v1.ClusterListResponse;
import pm.v1.ClusterProcess;
import pm.v1.ListRequest;
import pm.v1.NodeRecord;
import pm.v1.OwnerHealth;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessInfo;
import pm.v1.ProcessRef;

/**
 * List and Get: ownership records merged with their owners' live view. An owner that is down or
 * does not answer leaves {@code info} unset and the state as recorded. The records come from the
 * watch-fed view (these calls only report; a record the view has not heard of yet is read from
 * ZooKeeper). Stateless; caller's thread.
 */
public final class ProcessQueries {
    private final OwnershipStore store;
    private final OwnershipCache records;
    private final Owners owners;
    private final AgentClients agents;

    public ProcessQueries(OwnershipStore store, OwnershipCache records, Owners owners, AgentClients agents) {
        this.store = store;
        this.records = records;
        this.owners = owners;
        this.agents = agents;
    }

    public ClusterProcess get(String id) {
        OwnershipRecord r = records.find(id).orElseGet(() -> store.get(id)).value();
        Optional<NodeRecord> owner = owners.find(r);
        if (owner.isEmpty()) {
            return ProcessViews.of(r, null, OwnerHealth.OWNER_HEALTH_LOST);
        }
        try {
            return ProcessViews.of(
                    r,
                    agents.blocking(owner.get(), r.getEpoch())
                            .get(ProcessRef.newBuilder().setProcessId(id).build()));
        } catch (StatusRuntimeException e) {
            return ProcessViews.of(r, null, OwnerHealth.OWNER_HEALTH_NOT_ANSWERING);
        }
    }

    public ClusterListResponse list(ClusterListRequest request) {
        List<OwnershipRecord> records = this.records.all().stream()
                .map(Versioned::value)
                .filter(r -> request.getNode().isEmpty() || r.getOwner().equals(request.getNode()))
                .filter(r -> r.getSpec()
                        .getLabelsMap()
                        .entrySet()
                        .containsAll(request.getLabelsMap().entrySet()))
                .sorted(java.util.Comparator.comparing(OwnershipRecord::getProcessId))
                .toList();
        Map<String, OwnerView> live = new HashMap<>();
        for (String owner : records.stream().map(OwnershipRecord::getOwner).collect(Collectors.toSet())) {
            live.put(
                    owner,
                    listOn(records.stream()
                            .filter(r -> r.getOwner().equals(owner))
                            .findFirst()
                            .orElseThrow()));
        }
        ClusterListResponse.Builder out = ClusterListResponse.newBuilder();
        for (OwnershipRecord r : records) {
            OwnerView view = live.get(r.getOwner());
            ProcessInfo info = view.processes().get(r.getProcessId());
            out.addProcesses(info != null ? ProcessViews.of(r, info) : ProcessViews.of(r, null, view.health()));
        }
        return out.build();
    }

    /** What one owner said: its processes by id, and how it answered. */
    private record OwnerView(OwnerHealth health, Map<String, ProcessInfo> processes) {}

    /** What the owner of {@code any} runs, by process id; nothing if it is lost or does not answer. */
    private OwnerView listOn(OwnershipRecord any) {
        Optional<NodeRecord> node = owners.find(any);
        if (node.isEmpty()) {
            return new OwnerView(OwnerHealth.OWNER_HEALTH_LOST, Map.of());
        }
        try {
            return new OwnerView(
                    OwnerHealth.OWNER_HEALTH_ANSWERED,
                    agents.blocking(node.get()).list(ListRequest.getDefaultInstance()).getProcessesList().stream()
                            .collect(Collectors.toMap(ProcessInfo::getProcessId, p -> p, (a, b) -> b)));
        } catch (StatusRuntimeException e) {
            return new OwnerView(OwnerHealth.OWNER_HEALTH_NOT_ANSWERING, Map.of());
        }
    }
}
