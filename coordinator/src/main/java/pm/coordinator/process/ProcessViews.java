package pm.coordinator.process;

import pm.v1.ClusterProcess;
import pm.v1.OwnerHealth;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessInfo;

/** Builds the API's view of a process from its ownership record and, if the owner answered, its live info. */
final class ProcessViews {
    private ProcessViews() {}

    static ClusterProcess of(OwnershipRecord r, ProcessInfo info) {
        return of(r, info, info != null ? OwnerHealth.OWNER_HEALTH_ANSWERED : OwnerHealth.OWNER_HEALTH_UNSPECIFIED);
    }

    /** With how the owner answered: a list or a get says whether a missing live view means "not answering" or "lost". */
    static ClusterProcess of(OwnershipRecord r, ProcessInfo info, OwnerHealth health) {
        ClusterProcess.Builder b = ClusterProcess.newBuilder()
                .setProcessId(r.getProcessId())
                .setNode(r.getOwner())
                .setEpoch(r.getEpoch())
                .setState(r.getState())
                .setLastCheckpointId(r.getLastCheckpointId())
                .addAllCheckpointNodes(r.getCheckpointNodesList())
                .putAllLabels(r.getSpec().getLabelsMap())
                .setModuleSha256(r.getModuleSha256())
                .setPlacement(r.getPlacement())
                .setOwnerHealth(health)
                .setCreatedMillis(r.getCreatedMillis())
                .setEndedMillis(r.getEndedMillis())
                .setExitStatus(r.getExitStatus())
                .setFailure(r.getFailure());
        if (info != null) {
            b.setInfo(info).setState(info.getState());
            if (r.getLastCheckpointId().isEmpty() && !info.getLastCheckpointId().isEmpty()) {
                // none recorded yet: the owner's own (not replicated) one
                b.setLastCheckpointId(info.getLastCheckpointId());
            }
        }
        return b.build();
    }
}
