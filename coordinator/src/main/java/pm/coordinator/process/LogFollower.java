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
 * so the move is visible by then), carry on from the last offset there. A plain read (no follow) whose
 * owner does not answer, or does not hold the process, fails with the owner's status rather than
 * answering with less than the process printed. Offsets are continuous
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
            StatusRuntimeException failed = null;
            try {
                Iterator<LogChunk> it = agents.following(owner, r.getEpoch())
                        .logs(request.toBuilder().setFromOffset(offset).build());
                while (it.hasNext()) {
                    LogChunk c = it.next();
                    long end = c.getOffset() + c.getData().size();
                    if (end <= offset) {
                        continue;
                    }
                    if (c.getOffset() < offset) {
                        c = c.toBuilder()
                                .setData(c.getData().substring((int) (offset - c.getOffset())))
                                .setOffset(offset)
                                .build();
                    }
                    out.onNext(c);
                    offset = end;
                }
            } catch (StatusRuntimeException e) {
                if (!AgentCall.notFound(e) && !AgentCall.unreachable(e)) {
                    throw AgentCall.named(owner.getName(), e);
                }
                failed = e;
            }
            if (!request.getFollow() && failed == null) {
                break;
            }
            Optional<OwnershipRecord> now = store.find(id).map(v -> v.value());
            if (!request.getFollow()) {
                // A plain read the owner could not answer says so: an empty answer would look like a process
                // that printed nothing. If the process moved meanwhile, the read goes on at its new owner.
                if (now.isEmpty() || moved(r, now.get()) == null || ++stalls > STALLS_ALLOWED) {
                    throw AgentCall.named(owner.getName(), failed);
                }
                r = now.get();
                continue;
            }
            if (now.isEmpty()) {
                break; // killed
            }
            if (moved(r, now.get()) != null) {
                r = now.get(); // moved: carry on at the new owner
                stalls = 0;
                continue;
            }
            if (ended(owner, r)) {
                break;
            }
            if (++stalls > STALLS_ALLOWED) {
                throw new ClusterException(
                        ClusterException.Reason.UNAVAILABLE,
                        "the log of " + id + " keeps breaking off on node " + owner.getName());
            }
            Thread.sleep(100); // the owner's stream broke but the process stays: reopen after a pause
        }
        out.onCompleted();
    }

    /** {@code now} if the process moved since {@code before} (another owner or epoch), else null. */
    private static OwnershipRecord moved(OwnershipRecord before, OwnershipRecord now) {
        return now.getEpoch() != before.getEpoch() || !now.getOwner().equals(before.getOwner()) ? now : null;
    }

    /** Whether the process has finished on its owner (nothing more will be written), or is not there at all. */
    private boolean ended(NodeRecord owner, OwnershipRecord r) {
        try {
            ProcessState s = agents.blocking(owner, r.getEpoch())
                    .get(ProcessRef.newBuilder().setProcessId(r.getProcessId()).build())
                    .getState();
            return s == ProcessState.PROCESS_STATE_EXITED
                    || s == ProcessState.PROCESS_STATE_FAILED
                    || s == ProcessState.PROCESS_STATE_KILLED
                    || s == ProcessState.PROCESS_STATE_SUSPENDED;
        } catch (StatusRuntimeException e) {
            return AgentCall.notFound(e) && r.getState() == ProcessState.PROCESS_STATE_SUSPENDED;
        }
    }
}
