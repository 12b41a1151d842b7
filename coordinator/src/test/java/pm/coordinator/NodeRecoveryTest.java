package pm.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.v1.ClusterEvent;
import pm.v1.ClusterGrpc;
import pm.v1.ClusterSpawnRequest;
import pm.v1.EventsRequest;
import pm.v1.LogChunk;
import pm.v1.LogsRequest;
import pm.v1.OwnershipRecord;
import pm.v1.Placement;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;

/**
 * A node is lost for good: after the grace period each of its processes runs on another node under
 * a new epoch, from its last durable checkpoint (the work since is redone, the output from that
 * checkpoint on is exactly an uninterrupted run's) or, without one, from its spec; the lost node,
 * back, finds them no longer its own and drops them.
 */
class NodeRecoveryTest {
    @TempDir
    Path dir;

    private ClusterFixture cluster;

    @BeforeEach
    void start() throws Exception {
        cluster = new ClusterFixture(dir).agents("a", "b", "c");
        cluster.coordinator("c1", Duration.ofMillis(500));
    }

    /** The leader's API with a fresh deadline (a stub's deadline counts from when it was made). */
    private ClusterGrpc.ClusterBlockingStub api() {
        return cluster.cluster();
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private void spawnOnA(String id, ProcessSpec spec) {
        api().spawn(ClusterSpawnRequest.newBuilder()
                .setProcessId(id)
                .setSpec(spec)
                .setPlacement(Placement.newBuilder().setNode("a"))
                .build());
    }

    private OwnershipRecord record(String id) throws Exception {
        return cluster.record(id).orElseThrow();
    }

    /** The stdout the owner holds from where its log starts to the process's end, and that start offset. */
    /** Lets a held counter on {@code node} finish: its /data/release, uploaded to that node and written in. */
    private void release(String id, String node) throws Exception {
        pm.v1.BlobRef empty = pm.agent.Agents.putBlob(cluster.asyncAgentStub(node), new byte[0]);
        api().writeFile(pm.v1.WriteFileRequest.newBuilder()
                .setProcessId(id)
                .setPath("release")
                .setContents(empty)
                .build());
    }

    private static Map.Entry<Long, String> logFromStart(ClusterFixture cluster, String node, String id) {
        Iterator<LogChunk> chunks = cluster.agentStub(node)
                .withDeadlineAfter(5, TimeUnit.MINUTES)
                .logs(LogsRequest.newBuilder().setProcessId(id).setFollow(true).build());
        StringBuilder out = new StringBuilder();
        long start = -1;
        long next = -1;
        while (chunks.hasNext()) {
            LogChunk c = chunks.next();
            if (start < 0) {
                start = c.getOffset();
                next = start;
            }
            assertThat(c.getOffset()).as("no gap in the log").isEqualTo(next);
            next += c.getData().size();
            out.append(c.getData().toStringUtf8());
        }
        return Map.entry(start, out.toString());
    }

    @Test
    void processOfALostNodeRunsOnFromItsDurableCheckpointAndTheNodeDropsItsCopyWhenBack() throws Exception {
        ProcessSpec spec = Guests.heldCounter(400, 20_000, 2 << 20);
        String reference = Guests.reference(Guests.released(spec));
        spawnOnA("p", spec);
        // Caught mid-run and frozen there, so that how fast this machine runs it does not matter.
        // Past its memset (about 1.3 M instructions for 2 MiB) and a few lines: a checkpoint taken before its first
        // line would carry the log from offset 0.
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> api().get(ProcessRef.newBuilder().setProcessId("p").build())
                                .getInfo()
                                .getInstructionsRetired()
                        > 3_000_000);
        api().freeze(ProcessRef.newBuilder().setProcessId("p").build());
        // Durable once the call returns: held by a and one other node, taken after the freeze (a policy's
        // checkpoint could have been taken before the freeze and recorded after it).
        api().checkpoint(pm.v1.CheckpointRequest.newBuilder().setProcessId("p").build());
        assertThat(record("p").getCheckpointNodesList()).hasSize(2).startsWith("a");
        Iterator<ClusterEvent> events = cluster.cluster()
                .withDeadlineAfter(2, TimeUnit.MINUTES)
                .events(EventsRequest.newBuilder().setProcessId("p").build());
        OwnershipRecord before = record("p");

        cluster.loseAgent("a");
        OwnershipRecord after = await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> record("p"), r -> !r.getOwner().equals("a"));
        assertThat(after.getEpoch()).isGreaterThan(before.getEpoch());
        assertThat(List.of("b", "c")).contains(after.getOwner());
        ClusterEvent recovered = await().atMost(Duration.ofSeconds(30))
                .until(events::next, e -> e.getKind() == ClusterEvent.Kind.KIND_RECOVERED);
        assertThat(recovered.getDetail()).contains("from checkpoint").contains(after.getOwner());

        await().atMost(Duration.ofSeconds(30))
                .until(() -> cluster.agentsHolding("p").contains(after.getOwner()));
        assertThat(after.getState()).as("it comes back as it was: frozen").isEqualTo(ProcessState.PROCESS_STATE_FROZEN);
        assertThat(api().get(ProcessRef.newBuilder().setProcessId("p").build())
                        .getInfo()
                        .getInstructionsRetired())
                .as("it runs on from the checkpoint, not from the start")
                .isGreaterThan(3_000_000);
        api().thaw(ProcessRef.newBuilder().setProcessId("p").build());
        release("p", after.getOwner());
        Map.Entry<Long, String> log = logFromStart(cluster, after.getOwner(), "p");
        // The output before the checkpoint came with the replica: the whole log, once, from offset 0.
        assertThat(log.getKey()).isZero();
        assertThat(log.getValue()).isEqualTo(reference);

        cluster.startAgent("a", Map.of());
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(cluster.agentsHolding("p")).containsExactly(after.getOwner()));
    }

    @Test
    void aFileCopiedIntoAProcessComesBackWithItWhenItsNodeIsLost() throws Exception {
        // It waits for go.txt; frozen, it gets one only a holds (uploaded there, copied in there), then a is lost.
        spawnOnA(
                "cp",
                ProcessSpec.newBuilder()
                        .setModule(com.google.protobuf.ByteString.copyFrom(pm.agent.Agents.guest("store")))
                        .addArgs("store")
                        .addArgs("-w")
                        .addArgs("go.txt")
                        .build());
        api().freeze(ProcessRef.newBuilder().setProcessId("cp").build());
        byte[] go = "only a held this file\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        pm.v1.BlobRef ref = pm.agent.Agents.putBlob(cluster.asyncAgentStub("a"), go);
        api().writeFile(pm.v1.WriteFileRequest.newBuilder()
                .setProcessId("cp")
                .setPath("go.txt")
                .setContents(ref)
                .build());
        api().checkpoint(pm.v1.CheckpointRequest.newBuilder().setProcessId("cp").build()); // replicated when it returns

        cluster.loseAgent("a");
        OwnershipRecord after = await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> record("cp"), r -> !r.getOwner().equals("a"));
        await().atMost(Duration.ofSeconds(30))
                .until(() -> cluster.agentsHolding("cp").contains(after.getOwner()));
        api().thaw(ProcessRef.newBuilder().setProcessId("cp").build());
        Map.Entry<Long, String> log = logFromStart(cluster, after.getOwner(), "cp");
        assertThat(log.getValue()).startsWith("read " + go.length + " bytes");
    }

    @Test
    void processWithoutACheckpointStartsAgainFromItsSpec() throws Exception {
        ProcessSpec spec = Guests.heldCounter(60, 20_000, 1 << 20);
        String reference = Guests.reference(Guests.released(spec));
        spawnOnA("q", spec);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> api().get(ProcessRef.newBuilder().setProcessId("q").build())
                                .getInfo()
                                .getInstructionsRetired()
                        > 1_000_000);
        api().freeze(ProcessRef.newBuilder().setProcessId("q").build()); // held alive at its end until released

        cluster.loseAgent("a");
        OwnershipRecord after = await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> record("q"), r -> !r.getOwner().equals("a"));
        assertThat(after.getEpoch()).isEqualTo(2);
        assertThat(after.getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> cluster.agentsHolding("q").contains(after.getOwner()));
        release("q", after.getOwner());
        Map.Entry<Long, String> log = logFromStart(cluster, after.getOwner(), "q");
        assertThat(log.getKey()).isZero();
        assertThat(log.getValue()).isEqualTo(reference);
    }

    @Test
    void aProcessResumedOnAnotherNodeStartsAgainFromItsSpecWhenThatNodeIsLost() throws Exception {
        // Its suspend checkpoint stayed on a (the default policy) and went with a's copy when it resumed on b:
        // nothing durable is left, so losing b restarts it (the record named a's deleted checkpoint, and the
        // recovery asked a for it again and again: the soak's 'listed on a1; hosted by no agent').
        spawnOnA("s", Guests.counter(1_000_000, 20_000, 1 << 20));
        api().suspend(ProcessRef.newBuilder().setProcessId("s").build());
        api().resume(pm.v1.ClusterResumeRequest.newBuilder()
                .setProcessId("s")
                .setNode("b")
                .build());
        OwnershipRecord resumed = record("s");
        assertThat(resumed.getCheckpointNodesList())
                .as("a no longer holds its checkpoint")
                .isEmpty();

        cluster.loseAgent("b");
        OwnershipRecord after = await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> record("s"), r -> !r.getOwner().equals("b"));
        assertThat(after.getEpoch()).isEqualTo(resumed.getEpoch() + 1);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> cluster.agentsHolding("s").contains(after.getOwner()));
        assertThat(api().get(ProcessRef.newBuilder().setProcessId("s").build())
                        .getInfo()
                        .getState())
                .isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
    }

    @Test
    void aProcessItsLiveOwnerNoLongerHoldsIsRecoveredFromItsDurableCheckpoint() throws Exception {
        spawnOnA("o", Guests.counter(1_000_000, 20_000, 1 << 20));
        api().checkpoint(pm.v1.CheckpointRequest.newBuilder().setProcessId("o").build());
        OwnershipRecord before = record("o");
        assertThat(before.getCheckpointNodesList()).hasSize(2);
        // a drops its copy behind the record's back (what a copy dropped on a record read a moment before a
        // failed recovery put the record back left: the soak's 'listed on a1; hosted by no agent'); a stays live
        io.grpc.Metadata epoch = new io.grpc.Metadata();
        epoch.put(pm.common.cluster.ClusterLayout.EPOCH_HEADER, Long.toString(before.getEpoch()));
        cluster.agentStub("a")
                .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(epoch))
                .kill(ProcessRef.newBuilder().setProcessId("o").build());
        assertThat(cluster.agentsHolding("o")).isEmpty();

        OwnershipRecord after = await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> record("o"), r -> !r.getOwner().equals("a"));
        assertThat(after.getOwner()).isEqualTo(before.getCheckpointNodes(1));
        assertThat(after.getEpoch()).isEqualTo(before.getEpoch() + 1);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> cluster.agentsHolding("o").equals(List.of(after.getOwner())));
        assertThat(api().get(ProcessRef.newBuilder().setProcessId("o").build())
                        .getInfo()
                        .getInstructionsRetired())
                .as("it runs on from the checkpoint")
                .isPositive();
    }

    @Test
    void checkpointThroughTheApiIsReplicatedBeforeTheRecordNamesIt() throws Exception {
        spawnOnA("r", Guests.counter(1_000_000, 20_000, 1 << 20));
        var info = api().checkpoint(pm.v1.CheckpointRequest.newBuilder()
                .setProcessId("r")
                .setIncremental(true)
                .build());
        OwnershipRecord r = record("r");
        assertThat(r.getLastCheckpointId()).isEqualTo(info.getCheckpointId());
        assertThat(r.getCheckpointNodesList()).hasSize(2).startsWith("a");
        String replica = r.getCheckpointNodes(1);
        assertThat(cluster.agentStub(replica)
                        .replicaHeld(pm.v1.ReplicaQuery.newBuilder()
                                .setProcessId("r")
                                .build())
                        .getCheckpointIdsList())
                .contains(info.getCheckpointId());

        // The second checkpoint goes to the same replica (it holds the chain), and a kill forgets the replica.
        var second = api().checkpoint(pm.v1.CheckpointRequest.newBuilder()
                .setProcessId("r")
                .setIncremental(true)
                .build());
        assertThat(record("r").getCheckpointNodesList()).containsExactly("a", replica);
        api().kill(ProcessRef.newBuilder().setProcessId("r").build());
        await().atMost(Duration.ofSeconds(30))
                .until(() -> cluster.agentStub(replica)
                                .replicaHeld(pm.v1.ReplicaQuery.newBuilder()
                                        .setProcessId("r")
                                        .build())
                                .getCheckpointIdsCount()
                        == 0);
        assertThat(second.getBaseCheckpointId()).isEqualTo(info.getCheckpointId());
    }

    @Test
    void aProcessThatEndedIsNeverRunAgainButItsFilesAndOutputOutliveItsNode() throws Exception {
        byte[] result = "the result a computed\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        spawnOnA(
                "done",
                ProcessSpec.newBuilder()
                        .setModule(com.google.protobuf.ByteString.copyFrom(pm.agent.Agents.guest("store")))
                        .addArgs("store")
                        .addArgs("out.txt")
                        .setStdin(com.google.protobuf.ByteString.copyFrom(result))
                        .build());
        // The owner records the end itself; the leader then has another node keep its files and output.
        OwnershipRecord ended = await().atMost(Duration.ofSeconds(60))
                .until(
                        () -> record("done"),
                        r -> r.getState() == ProcessState.PROCESS_STATE_EXITED && r.getEndedCopyNodesCount() == 2);
        assertThat(ended.getEndedCopyNodesList()).startsWith("a");
        String holder = ended.getEndedCopyNodes(1);

        cluster.loseAgent("a");
        OwnershipRecord after = await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> record("done"), r -> !r.getOwner().equals("a"));
        assertThat(after.getOwner()).isEqualTo(holder);
        assertThat(after.getEpoch()).isEqualTo(ended.getEpoch() + 1);
        assertThat(after.getState()).isEqualTo(ProcessState.PROCESS_STATE_EXITED);
        assertThat(after.getExitStatus()).isZero();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> cluster.agentsHolding("done").contains(holder));
        var info = cluster.agentStub(holder)
                .get(ProcessRef.newBuilder().setProcessId("done").build());
        assertThat(info.getState()).as("it is not run again").isEqualTo(ProcessState.PROCESS_STATE_EXITED);
        assertThat(info.getInstructionsRetired()).isZero();

        java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
        api().readFile(pm.v1.FileRef.newBuilder()
                        .setProcessId("done")
                        .setPath("/data/out.txt")
                        .build())
                .forEachRemaining(c -> file.writeBytes(c.getData().toByteArray()));
        assertThat(file.toByteArray()).isEqualTo(result);
        Map.Entry<Long, String> log = logFromStart(cluster, holder, "done");
        assertThat(log.getKey()).isZero();
        assertThat(log.getValue()).isEqualTo("stored " + result.length + " bytes in /data/out.txt\n");

        // Removing it forgets the copy on every node.
        api().kill(ProcessRef.newBuilder().setProcessId("done").build());
        assertThat(cluster.agentsHolding("done")).isEmpty();
    }

    @Test
    void aRunningCopyGoesAsSoonAsItsRecordNamesAnotherNode() throws Exception {
        spawnOnA("moved", Guests.counter(1_000_000, 20_000, 1 << 20));
        assertThat(cluster.agentsHolding("moved")).containsExactly("a");
        // What a recovery decided while a was away and a, back, has not heard of yet.
        cluster.overwriteRecord(
                record("moved").toBuilder().setOwner("b").setEpoch(7).build());
        await().atMost(Duration.ofSeconds(30))
                .until(() -> cluster.agentsHolding("moved").isEmpty());
    }

    @Test
    void channelMessagesTheReceiverAcceptedSinceItsDurableCheckpointAreSentAgainWhenItsNodeIsLost() throws Exception {
        int n = 20_000;
        ProcessRef receiver = ProcessRef.newBuilder().setProcessId("rcv").build();
        // A checkpoint policy (whose interval never comes in this test: the test checkpoints it) makes what it
        // accepted durable only through its checkpoints.
        api().spawn(ClusterSpawnRequest.newBuilder()
                .setProcessId("rcv")
                .setSpec(ProcessSpec.newBuilder()
                        .setModule(com.google.protobuf.ByteString.copyFrom(pm.agent.Agents.guest("consumer")))
                        .addArgs("consumer")
                        .addArgs(Integer.toString(n))
                        .addArgs("0")
                        .setCheckpointPolicy(pm.v1.CheckpointPolicy.newBuilder().setIntervalMillis(3_600_000)))
                .setPlacement(Placement.newBuilder().setNode("b"))
                .build());
        spawnOnA(
                "snd",
                ProcessSpec.newBuilder()
                        .setModule(com.google.protobuf.ByteString.copyFrom(pm.agent.Agents.guest("producer")))
                        .addArgs("producer")
                        .addArgs(Integer.toString(n))
                        .addArgs("rcv")
                        .addArgs("0")
                        .build());
        await().atMost(Duration.ofSeconds(60))
                .until(() -> cluster.agentStub("b").get(receiver).getMessagesAccepted() >= 100);

        // Frozen, it stops receiving and its inbox fills to its limit: then what it accepted stands still while
        // the checkpoint is taken, and is known exactly.
        api().freeze(receiver);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> cluster.agentStub("b").get(receiver).getInboxMessages()
                        == pm.runtime.chan.Channels.MAX_INBOX_MESSAGES);
        long atCheckpoint = cluster.agentStub("b").get(receiver).getMessagesAccepted();
        api().checkpoint(
                        pm.v1.CheckpointRequest.newBuilder().setProcessId("rcv").build());
        assertThat(record("rcv").getCheckpointNodesList()).hasSize(2).startsWith("b");
        api().thaw(receiver);
        // b acknowledges these to the sender as accepted, not as durable; the sender cannot run further ahead of
        // the durable checkpoint than its outbox holds, so the receiver cannot end before b is lost.
        await().atMost(Duration.ofSeconds(60))
                .until(() -> cluster.agentStub("b").get(receiver).getMessagesAccepted() > atCheckpoint + 100);
        assertThat(atCheckpoint + pm.runtime.chan.Channels.MAX_OUTBOX_MESSAGES).isLessThan(n);

        cluster.loseAgent("b");
        OwnershipRecord after = await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> record("rcv"), r -> !r.getOwner().equals("b"));
        await().atMost(Duration.ofSeconds(30))
                .until(() -> cluster.agentsHolding("rcv").contains(after.getOwner()));
        // From here each durable checkpoint lets the sender run further ahead; the policy's own comes only after a
        // move.
        await().atMost(Duration.ofMinutes(5))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    try {
                        api().checkpoint(pm.v1.CheckpointRequest.newBuilder()
                                .setProcessId("rcv")
                                .setIncremental(true)
                                .build());
                    } catch (io.grpc.StatusRuntimeException e) {
                        // ended meanwhile (FAILED_PRECONDITION), or a policy checkpoint in the way: asked again
                    }
                    return pm.coordinator.zk.RecordStates.ended(record("rcv"));
                });
        StringBuilder expected = new StringBuilder("received:\n");
        for (int i = 1; i <= n; i++) {
            expected.append("msg ").append(i).append(" from snd\n");
        }
        Map.Entry<Long, String> log = logFromStart(cluster, after.getOwner(), "rcv");
        assertThat(log.getValue()).as("every message once, in order").startsWith(expected.toString());
        assertThat(record("rcv").getExitStatus()).isZero();
    }
}
