package pm.coordinator.process;

import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.Iterator;
import java.util.Optional;
import pm.coordinator.ClusterException;
import pm.coordinator.agent.AgentCall;
import pm.coordinator.agent.AgentClients;
import pm.coordinator.zk.OwnershipStore;
import pm.v1.LogChunk;
import pm.v1.LogsRequest;
import pm.v1.NodeRecord;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessRef;
import pm.v1.ProcessState;

/**
 * A process's log, followed across migrations: read from the owner from an offset; when that stream
 * ends while the process lives on under a new owner (the record moved before the old owner let go,
 * so the move is visible by then), carry on from the last offset there. Offsets are continuous
 * across migrations, so a chunk the new owner repeats is skipped. Blocks the calling gRPC thread for
 * as long as it follows; the agent calls inherit the caller's context, so a cancelled call ends them.
 */
public final class LogFollower {
    /** Attempts to reopen an owner's stream that ended while the process stayed put (an agent restart). */
    private static final int STALLS_ALLOWED = 50;

    private final OwnershipStore store;
    private final Owners owners;
    private final AgentClients agents;

    public LogFollower(OwnershipStore store, Owners owners, AgentClients agents) {
        this.store = store;
        this.owners = owners;
        this.agents = agents;
    }

    public void follow(LogsRequest request, StreamObserver<LogChunk> out) throws InterruptedException {
        String id = request.getProcessId();
        OwnershipRecord r = store.get(id).value();
        long offset = request.getFromOffset();
        int stalls = 0;
        while (!Context.current().isCancelled()) {
            NodeRecord owner = owners.require(r);
            try {
                Iterator<LogChunk> it = agents.following(owner, r.getEpoch()).logs(request.toBuilder().setFromOffset(offset).build());
                while (it.hasNext()) {
                    LogChunk c = it.next();
                    long end = c.getOffset() + c.getData().size();
                    if (end <= offset) {
                        continue;
                    }
                    if (c.getOffset() < offset) {
                        c = c.toBuilder().setData(c.getData().substring((int) (offset - c.getOffset()))).setOffset(offset).build();
                    }
                    out.onNext(c);
                    offset = end;
                }
            } catch (StatusRuntimeException e) {
                if (!AgentCall.notFound(e) && !AgentCall.unreachable(e)) {
                    throw AgentCall.named(owner.getName(), e);
                }
            }
            if (!request.getFollow()) {
                break;
            }
            Optional<OwnershipRecord> now = store.find(id).map(v -> v.value());
            if (now.isEmpty()) {
                break; // killed
            }
            if (now.get().getEpoch() != r.getEpoch() || !now.get().getOwner().equals(r.getOwner())) {
                r = now.get(); // moved: carry on at the new owner
                stalls = 0;
                continue;
            }
            if (ended(owner, r)) {
                break;
            }
            if (++stalls > STALLS_ALLOWED) {
                throw new ClusterException(ClusterException.Reason.UNAVAILABLE,
                        "the log of " + id + " keeps breaking off on node " + owner.getName());
            }
            Thread.sleep(100); // the owner's stream broke but the process stays: reopen after a pause
        }
        out.onCompleted();
    }

    /** Whether the process has finished on its owner (nothing more will be written), or is not there at all. */
    private boolean ended(NodeRecord owner, OwnershipRecord r) {
        try {
            ProcessState s = agents.blocking(owner, r.getEpoch()).get(ProcessRef.newBuilder().setProcessId(r.getProcessId()).build())
                    .getState();
            return s == ProcessState.PROCESS_STATE_EXITED || s == ProcessState.PROCESS_STATE_FAILED
                    || s == ProcessState.PROCESS_STATE_KILLED || s == ProcessState.PROCESS_STATE_SUSPENDED;
        } catch (StatusRuntimeException e) {
            return AgentCall.notFound(e) && r.getState() == ProcessState.PROCESS_STATE_SUSPENDED;
        }
    }
}
