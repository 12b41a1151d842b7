package pm.coordinator.process;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import pm.coordinator.ClusterException;
import pm.coordinator.agent.AgentCall;
import pm.coordinator.agent.AgentClients;
import pm.coordinator.zk.OwnershipStore;
import pm.v1.FileChunk;
import pm.v1.FileRef;
import pm.v1.FileStat;
import pm.v1.NodeRecord;
import pm.v1.OwnershipRecord;
import pm.v1.WriteFileRequest;

/**
 * ReadFile and WriteFile (pmctl cp): passed to the process's owner under its epoch. A read is relayed
 * chunk by chunk, each taken from the owner only once the caller can take it, so a large file never
 * piles up here. Stateless; runs on the caller's thread.
 */
public final class FileCopy {
    /** A copy moves up to gigabytes; it gets this long, not the short deadline of a control call. */
    private static final long COPY_MINUTES = 30;

    private final OwnershipStore store;
    private final Owners owners;
    private final AgentClients agents;

    public FileCopy(OwnershipStore store, Owners owners, AgentClients agents) {
        this.store = store;
        this.owners = owners;
        this.agents = agents;
    }

    public void read(FileRef ref, ServerCallStreamObserver<FileChunk> out) {
        OwnershipRecord r = store.get(ref.getProcessId()).value();
        NodeRecord n = owners.require(r);
        out.setOnReadyThreshold(4 << 20); // ready until 4 MiB are queued: chunks go on back to back
        try {
            Iterator<FileChunk> chunks = agents.following(n, r.getEpoch())
                    .withDeadlineAfter(COPY_MINUTES, TimeUnit.MINUTES)
                    .readFile(ref);
            while (chunks.hasNext()) {
                FileChunk chunk = chunks.next();
                while (!out.isReady()) {
                    if (out.isCancelled()) {
                        throw new ClusterException(ClusterException.Reason.UNAVAILABLE, "the caller went away");
                    }
                    LockSupport.parkNanos(200_000);
                }
                out.onNext(chunk);
            }
        } catch (StatusRuntimeException e) {
            throw AgentCall.named(n.getName(), e);
        }
    }

    public FileStat write(WriteFileRequest request) {
        OwnershipRecord r = store.get(request.getProcessId()).value();
        NodeRecord n = owners.require(r);
        return AgentCall.on(
                n.getName(),
                () -> agents.following(n, r.getEpoch())
                        .withDeadlineAfter(COPY_MINUTES, TimeUnit.MINUTES)
                        .writeFile(request));
    }
}
