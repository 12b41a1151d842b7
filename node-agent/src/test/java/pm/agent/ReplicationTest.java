package pm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.agent.replica.CheckpointReplicas;
import pm.v1.AdoptRequest;
import pm.v1.CheckpointInfo;
import pm.v1.CheckpointRequest;
import pm.v1.NodeAgentGrpc;
import pm.v1.ProcessInfo;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;
import pm.v1.ReplicaFrame;
import pm.v1.ReplicaHeldReply;
import pm.v1.ReplicaImage;
import pm.v1.ReplicaPeer;
import pm.v1.ReplicaQuery;
import pm.v1.ReplicaStored;
import pm.v1.ReplicateReply;
import pm.v1.ReplicateRequest;
import pm.v1.SpawnRequest;

/**
 * Checkpoint replication between two agents on loopback: the owner sends only the images a replica
 * lacks, the replica survives the owner, and adopting it runs the process on from that checkpoint
 * with output identical to an uninterrupted run's from the checkpoint's log offset on.
 */
class ReplicationTest {
    @TempDir
    Path dir;

    private Agents agents;
    private NodeAgentServer ownerServer;
    private NodeAgentServer replicaServer;
    private NodeAgentGrpc.NodeAgentBlockingStub owner;
    private NodeAgentGrpc.NodeAgentBlockingStub replica;

    @BeforeEach
    void start() throws Exception {
        agents = new Agents(dir);
        ownerServer = agents.start("owner");
        replicaServer = agents.start("replica");
        owner = agents.stub(ownerServer);
        replica = agents.stub(replicaServer);
    }

    @AfterEach
    void stop() {
        agents.close();
    }

    private ReplicateReply replicate(String id, String checkpointId) {
        return owner.replicate(ReplicateRequest.newBuilder()
                .setProcessId(id)
                .setCheckpointId(checkpointId)
                .addPeers(ReplicaPeer.newBuilder().setNode("replica").setAddress(replicaServer.address()))
                .build());
    }

    @Test
    void replicaOfIncrementalCheckpointsOutlivesItsOwnerAndRunsOnFromIt() throws Exception {
        ProcessSpec spec = Agents.counter(400, 10_000, 4 << 20, 64 << 10);
        String reference = Agents.reference(spec);
        owner.spawn(SpawnRequest.newBuilder().setProcessId("p").setSpec(spec).build());
        Agents.awaitProgress(owner, "p", 1_000_000);

        CheckpointInfo full = owner.checkpoint(CheckpointRequest.newBuilder()
                .setProcessId("p")
                .setIncremental(true)
                .build());
        ReplicateReply first = replicate("p", full.getCheckpointId());
        assertThat(first.getNodesList()).containsExactly("replica");
        assertThat(first.getBytesSent()).isEqualTo(full.getBytes());

        Agents.awaitProgress(owner, "p", 1_000_000);
        CheckpointInfo increment = owner.checkpoint(CheckpointRequest.newBuilder()
                .setProcessId("p")
                .setIncremental(true)
                .build());
        assertThat(increment.getBaseCheckpointId()).isEqualTo(full.getCheckpointId());
        ReplicateReply second = replicate("p", "");
        assertThat(second.getCheckpointId()).isEqualTo(increment.getCheckpointId());
        // Only the increment crosses: the replica held the full image already.
        assertThat(second.getBytesSent()).isEqualTo(increment.getBytes()).isLessThan(first.getBytesSent() / 4);
        assertThat(replicate("p", "").getBytesSent()).isZero();

        ReplicaHeldReply held =
                replica.replicaHeld(ReplicaQuery.newBuilder().setProcessId("p").build());
        assertThat(held.getCheckpointIdsList()).containsExactly(full.getCheckpointId(), increment.getCheckpointId());
        // A replica is no process of its node until adopted.
        assertThatThrownBy(() ->
                        replica.get(ProcessRef.newBuilder().setProcessId("p").build()))
                .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.NOT_FOUND));

        ownerServer.close(); // the owner's node is lost
        ProcessInfo adopted = replica.adopt(AdoptRequest.newBuilder()
                .setProcessId("p")
                .setCheckpointId(increment.getCheckpointId())
                .setState(ProcessState.PROCESS_STATE_RUNNING)
                .build());
        assertThat(adopted.getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        assertThat(adopted.getLastCheckpointId()).isEqualTo(increment.getCheckpointId());

        // The output before the checkpoint travelled with the replica: the adopter serves all of it from 0.
        long[] end = new long[1];
        String all = Agents.follow(agents.stub(replicaServer).withDeadlineAfter(5, TimeUnit.MINUTES), "p", -1, end);
        assertThat(end[0]).isEqualTo(all.length());
        assertThat(all).isEqualTo(reference);
        assertThat(replica.replicaHeld(
                                ReplicaQuery.newBuilder().setProcessId("p").build())
                        .getCheckpointIdsList())
                .as("the replica became the process's own checkpoints")
                .isEmpty();
    }

    @Test
    void pushesOfOneProcessThatCrossEachSucceedAndTheReplicaKeepsAllItsOutput() throws Exception {
        // Long enough for eight rounds however fast the tier runs it, and frozen while its pushes cross (it
        // ended mid-test once the compiled tier became the default, and an ended process pushes no checkpoint).
        ProcessSpec spec = Agents.counter(4_000, 10_000, 4 << 20, 64 << 10);
        String reference = Agents.reference(spec);
        owner.spawn(SpawnRequest.newBuilder().setProcessId("p").setSpec(spec).build());
        ProcessRef p = ProcessRef.newBuilder().setProcessId("p").build();
        String last = "";
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 8; round++) {
                Agents.awaitProgress(owner, "p", 200_000);
                owner.freeze(p);
                last = owner.checkpoint(CheckpointRequest.newBuilder()
                                .setProcessId("p")
                                .setIncremental(true)
                                .build())
                        .getCheckpointId();
                // The policy's push and a user's, at once.
                var a = pool.submit(() -> replicate("p", ""));
                var b = pool.submit(() -> replicate("p", ""));
                assertThat(a.get(2, TimeUnit.MINUTES).getCheckpointId()).isEqualTo(last);
                assertThat(b.get(2, TimeUnit.MINUTES).getCheckpointId()).isEqualTo(last);
                owner.thaw(p);
            }
        } finally {
            pool.shutdownNow();
        }

        ownerServer.close();
        replica.adopt(AdoptRequest.newBuilder()
                .setProcessId("p")
                .setCheckpointId(last)
                .setState(ProcessState.PROCESS_STATE_RUNNING)
                .build());
        long[] end = new long[1];
        String all = Agents.follow(agents.stub(replicaServer).withDeadlineAfter(5, TimeUnit.MINUTES), "p", -1, end);
        assertThat(all).isEqualTo(reference);
    }

    @Test
    void badReplicationRequestsGetExactStatusesAndTheAgentServesOn() throws Exception {
        ProcessSpec spec = Agents.counter(1_000_000, 20_000, 1 << 20);
        owner.spawn(SpawnRequest.newBuilder().setProcessId("q").setSpec(spec).build());

        assertThatThrownBy(() -> replicate("q", "")).satisfies(e -> {
            assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(Status.fromThrowable(e).getDescription()).contains("no checkpoint to replicate");
        });
        owner.checkpoint(CheckpointRequest.newBuilder().setProcessId("q").build());
        assertThatThrownBy(() -> owner.replicate(ReplicateRequest.newBuilder()
                        .setProcessId("q")
                        .addPeers(ReplicaPeer.newBuilder().setNode("owner").setAddress(ownerServer.address()))
                        .build()))
                .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        assertThatThrownBy(() -> replica.adopt(AdoptRequest.newBuilder()
                        .setProcessId("q")
                        .setCheckpointId("nope")
                        .setState(ProcessState.PROCESS_STATE_RUNNING)
                        .build()))
                .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.NOT_FOUND));

        // A stream that sends an image before saying whose it is.
        CompletableFuture<ReplicaStored> answer = new CompletableFuture<>();
        StreamObserver<ReplicaFrame> frames = agents.asyncStub(replicaServer)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .storeReplica(new StreamObserver<>() {
                    @Override
                    public void onNext(ReplicaStored value) {
                        answer.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                });
        frames.onNext(ReplicaFrame.newBuilder()
                .setImage(ReplicaImage.newBuilder().setCheckpointId("x"))
                .build());
        frames.onCompleted();
        assertThatThrownBy(() -> answer.get(30, TimeUnit.SECONDS)).satisfies(e -> {
            StatusRuntimeException s = (StatusRuntimeException) e.getCause();
            assertThat(s.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(s.getStatus().getDescription()).contains("begin frame");
        });

        ReplicateReply ok = replicate("q", "");
        assertThat(ok.getNodesList()).containsExactly("replica");
        assertThat(owner.get(ProcessRef.newBuilder().setProcessId("q").build()).getState())
                .isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
    }

    @Test
    void sweepDropsOnlyOldReplicasTheRecordsNoLongerName() throws Exception {
        owner.spawn(SpawnRequest.newBuilder()
                .setProcessId("s")
                .setSpec(Agents.counter(1_000_000, 20_000, 1 << 20))
                .build());
        owner.checkpoint(CheckpointRequest.newBuilder().setProcessId("s").build());
        replicate("s", "");
        pm.v1.OwnershipRecord naming = pm.v1.OwnershipRecord.newBuilder()
                .setProcessId("s")
                .setOwner("owner")
                .addCheckpointNodes("owner")
                .addCheckpointNodes("replica")
                .build();
        CheckpointReplicas replicas = replicaServer.replicas();

        assertThat(replicas.sweep(id -> java.util.Optional.of(naming), 0)).isZero();
        assertThat(replicas.sweep(id -> java.util.Optional.empty(), 3_600_000))
                .as("too young to judge")
                .isZero();
        assertThat(replica.replicaHeld(
                                ReplicaQuery.newBuilder().setProcessId("s").build())
                        .getCheckpointIdsCount())
                .isEqualTo(1);
        assertThat(replicas.sweep(
                        id -> java.util.Optional.of(naming.toBuilder()
                                .clearCheckpointNodes()
                                .addCheckpointNodes("owner")
                                .addCheckpointNodes("elsewhere")
                                .build()),
                        0))
                .isEqualTo(1);
        assertThat(replica.replicaHeld(
                                ReplicaQuery.newBuilder().setProcessId("s").build())
                        .getCheckpointIdsCount())
                .isZero();
    }
}
