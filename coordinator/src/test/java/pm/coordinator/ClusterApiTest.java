package pm.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.agent.Agents;
import pm.coordinator.process.ModuleCache;
import pm.v1.CheckpointRequest;
import pm.v1.ClusterEvent;
import pm.v1.ClusterGrpc;
import pm.v1.ClusterListRequest;
import pm.v1.ClusterProcess;
import pm.v1.ClusterResumeRequest;
import pm.v1.ClusterSpawnRequest;
import pm.v1.EventsRequest;
import pm.v1.NodesRequest;
import pm.v1.Placement;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;

/** The Cluster API over real agents and ZooKeeper: each call reaches the owner and leaves the record right. */
class ClusterApiTest {
    @TempDir
    Path dir;

    private ClusterFixture cluster;
    private ClusterGrpc.ClusterBlockingStub api;

    @BeforeEach
    void start() throws Exception {
        cluster = new ClusterFixture(dir).agents("a", "b", "c");
        cluster.coordinator("c1");
        api = cluster.cluster();
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    /** A counter that runs until killed. */
    static ProcessSpec endless() {
        return Guests.counter(100_000_000, 2_000, 1 << 16);
    }

    static ClusterSpawnRequest spawn(String id, String pin) {
        return ClusterSpawnRequest.newBuilder()
                .setProcessId(id)
                .setSpec(endless())
                .setPlacement(Placement.newBuilder().setNode(pin))
                .build();
    }

    private static ProcessRef ref(String id) {
        return ProcessRef.newBuilder().setProcessId(id).build();
    }

    @Test
    void spawnRecordsTheOwnerAtEpochOneThenRunsTheProcessThere() throws Exception {
        ClusterProcess p = api.spawn(spawn("p1", ""));

        assertThat(p.getNode()).isIn(cluster.agentNames());
        assertThat(p.getEpoch()).isEqualTo(1);
        assertThat(p.getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        var record = cluster.record("p1").orElseThrow();
        assertThat(record.getOwner()).isEqualTo(p.getNode());
        assertThat(record.getEpoch()).isEqualTo(1);
        assertThat(record.getMigrationId()).isEmpty();
        assertThat(record.getSpec().getModule().isEmpty())
                .as("the record keeps the module by reference only")
                .isTrue();
        assertThat(record.getModuleSha256())
                .isEqualTo(ModuleCache.sha256(endless().getModule()));
        assertThat(cluster.agentsHolding("p1")).containsExactly(p.getNode());
        assertThat(api.get(ref("p1")).getInfo().getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
    }

    @Test
    void spreadsProcessesOverTheNodesAndCountsThem() {
        for (int i = 0; i < 3; i++) {
            api.spawn(spawn("s" + i, ""));
        }
        assertThat(api.list(ClusterListRequest.getDefaultInstance()).getProcessesList())
                .extracting(ClusterProcess::getNode)
                .as("reservations keep back-to-back placements apart")
                .containsExactlyInAnyOrder("a", "b", "c");
        assertThat(api.nodes(NodesRequest.getDefaultInstance()).getNodesList())
                .allSatisfy(n -> assertThat(n.getOwnedProcesses()).isEqualTo(1));
    }

    @Test
    void listMergesRecordsWithTheOwnersViewAndFiltersByLabelsAndNode() {
        api.spawn(spawn("p1", "a").toBuilder()
                .setSpec(endless().toBuilder().putLabels("app", "x"))
                .build());
        api.spawn(spawn("p2", "b").toBuilder()
                .setSpec(endless().toBuilder().putLabels("app", "y"))
                .build());

        assertThat(api.list(ClusterListRequest.newBuilder()
                                .putLabels("app", "x")
                                .build())
                        .getProcessesList())
                .extracting(ClusterProcess::getProcessId)
                .containsExactly("p1");
        assertThat(api.list(ClusterListRequest.newBuilder().setNode("b").build())
                        .getProcessesList())
                .extracting(ClusterProcess::getProcessId)
                .containsExactly("p2");
        assertThat(api.list(ClusterListRequest.getDefaultInstance()).getProcessesList())
                .hasSize(2)
                .allSatisfy(p -> {
                    assertThat(p.hasInfo()).isTrue();
                    assertThat(p.getInfo().getNode()).isEqualTo(p.getNode());
                });
    }

    @Test
    void freezeThawAndCheckpointReachTheOwnerAndTheRecord() throws Exception {
        api.spawn(spawn("p1", "b"));

        assertThat(api.freeze(ref("p1")).getState()).isEqualTo(ProcessState.PROCESS_STATE_FROZEN);
        assertThat(cluster.record("p1").orElseThrow().getState()).isEqualTo(ProcessState.PROCESS_STATE_FROZEN);
        assertThat(cluster.agentStub("b").get(ref("p1")).getState()).isEqualTo(ProcessState.PROCESS_STATE_FROZEN);

        assertThat(api.thaw(ref("p1")).getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        assertThat(cluster.record("p1").orElseThrow().getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);

        var checkpoint =
                api.checkpoint(CheckpointRequest.newBuilder().setProcessId("p1").build());
        assertThat(checkpoint.getCheckpointId()).isNotEmpty();
        assertThat(cluster.record("p1").orElseThrow().getLastCheckpointId()).isEqualTo(checkpoint.getCheckpointId());
    }

    @Test
    void aSuspendedProcessResumesOnAnotherNodeUnderTheNextEpoch() throws Exception {
        api.spawn(spawn("p1", "a"));
        ClusterProcess suspended = api.suspend(ref("p1"));
        assertThat(suspended.getState()).isEqualTo(ProcessState.PROCESS_STATE_SUSPENDED);
        assertThat(cluster.record("p1").orElseThrow().getLastCheckpointId()).isNotEmpty();
        assertThat(cluster.agentsHolding("p1")).isEmpty();

        ClusterProcess resumed = api.resume(ClusterResumeRequest.newBuilder()
                .setProcessId("p1")
                .setNode("c")
                .build());

        assertThat(resumed.getNode()).isEqualTo("c");
        assertThat(resumed.getEpoch()).isEqualTo(2);
        assertThat(resumed.getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        var record = cluster.record("p1").orElseThrow();
        assertThat(record.getOwner()).isEqualTo("c");
        assertThat(record.getEpoch()).isEqualTo(2);
        assertThat(cluster.agentsHolding("p1")).containsExactly("c");
        assertThatThrownBy(() -> cluster.agentStub("a").get(ref("p1")))
                .as("the old owner's image is gone")
                .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void aNewLeaderResumesASuspendedProcessElsewhereWithTheModuleFromTheOldOwner() throws Exception {
        CoordinatorServer first = cluster.leader();
        cluster.coordinator("c2");
        api.spawn(spawn("p1", "a"));
        api.suspend(ref("p1"));
        first.close(); // the new leader never saw the module's bytes

        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.leader() != first);
        ClusterProcess resumed = cluster.cluster()
                .resume(ClusterResumeRequest.newBuilder()
                        .setProcessId("p1")
                        .setNode("b")
                        .build());

        assertThat(resumed.getNode()).isEqualTo("b");
        assertThat(cluster.agentsHolding("p1")).containsExactly("b");
        Agents.awaitProgress(cluster.agentStub("b"), "p1", 100_000);
    }

    @Test
    void aSuspendedProcessResumesOnItsOwner() throws Exception {
        api.spawn(spawn("p1", "a"));
        api.suspend(ref("p1"));

        ClusterProcess resumed =
                api.resume(ClusterResumeRequest.newBuilder().setProcessId("p1").build());

        assertThat(resumed.getNode()).isEqualTo("a");
        assertThat(resumed.getEpoch()).isEqualTo(1);
        assertThat(cluster.agentsHolding("p1")).containsExactly("a");
        assertThat(cluster.record("p1").orElseThrow().getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
    }

    @Test
    void anExportedImageImportsAsANewProcessPlacedLikeASpawn() throws Exception {
        api.spawn(spawn("p1", "a"));
        api.freeze(ref("p1"));
        java.util.List<pm.v1.ImageChunk> image = new java.util.ArrayList<>();
        api.export(pm.v1.ExportRequest.newBuilder().setProcessId("p1").build()).forEachRemaining(image::add);
        assertThat(image).isNotEmpty();

        java.util.concurrent.CompletableFuture<ClusterProcess> imported =
                new java.util.concurrent.CompletableFuture<>();
        StreamObserver<pm.v1.ImageChunk> upload = cluster.asyncCluster(cluster.leader())
                .import_(new StreamObserver<>() {
                    @Override
                    public void onNext(ClusterProcess p) {
                        imported.complete(p);
                    }

                    @Override
                    public void onError(Throwable t) {
                        imported.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                });
        for (int i = 0; i < image.size(); i++) {
            pm.v1.ImageChunk chunk = image.get(i);
            if (i == 0) {
                chunk = chunk.toBuilder()
                        .setHeader(pm.v1.ImportHeader.newBuilder()
                                .setProcessId("p2")
                                .setModule(endless().getModule())
                                .setSpec(endless().toBuilder().clearModule()))
                        .build();
            }
            upload.onNext(chunk);
        }
        upload.onCompleted();

        ClusterProcess p2 = imported.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(p2.getProcessId()).isEqualTo("p2");
        assertThat(cluster.record("p2").orElseThrow().getOwner()).isEqualTo(p2.getNode());
        assertThat(cluster.agentsHolding("p2")).containsExactly(p2.getNode());
        assertThat(api.get(ref("p2")).getInfo().getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
    }

    @Test
    void killEndsTheProcessAndDeletesItsRecord() throws Exception {
        api.spawn(spawn("p1", "c"));

        assertThat(api.kill(ref("p1")).getState()).isEqualTo(ProcessState.PROCESS_STATE_KILLED);

        assertThat(cluster.record("p1")).isEmpty();
        assertThat(cluster.agentsHolding("p1")).isEmpty();
        assertThatThrownBy(() -> api.get(ref("p1")))
                .isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void eventsStreamWhatHappensToAProcess() {
        List<ClusterEvent> seen = new CopyOnWriteArrayList<>();
        cluster.asyncCluster(cluster.leader())
                .events(EventsRequest.newBuilder().setProcessId("p1").build(), new StreamObserver<>() {
                    @Override
                    public void onNext(ClusterEvent e) {
                        seen.add(e);
                    }

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {}
                });
        await().atMost(Duration.ofSeconds(10))
                .until(() -> cluster.leader().events().subscribers() == 1);
        api.spawn(spawn("p1", "a"));
        api.spawn(spawn("p2", "a"));
        api.freeze(ref("p1"));

        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(seen)
                        .extracting(ClusterEvent::getKind)
                        .containsExactly(ClusterEvent.Kind.KIND_SPAWNED, ClusterEvent.Kind.KIND_FROZEN));
        assertThat(seen).allSatisfy(e -> assertThat(e.getProcessId()).isEqualTo("p1"));
    }
}
