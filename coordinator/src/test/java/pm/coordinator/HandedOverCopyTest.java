package pm.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.v1.ClusterEvent;
import pm.v1.ClusterGrpc;
import pm.v1.ClusterMigrateRequest;
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
 * A migration is as durable as the process was before it: the target forces nothing before it
 * answers, and the source keeps the process as it handed it over until the target's first durable
 * checkpoint. Losing the target in that window brings the process back on the source from the
 * migration's state (no work lost but the target's); losing the source leaves the target alone;
 * losing both falls back to the last durable checkpoint, as any node loss does.
 */
class HandedOverCopyTest {
    @TempDir
    Path dir;

    private ClusterFixture cluster;

    @BeforeEach
    void start() throws Exception {
        cluster = new ClusterFixture(dir).agents("a", "b", "c");
        cluster.coordinator("c1", Duration.ofMillis(500));
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private ClusterGrpc.ClusterBlockingStub api() {
        return cluster.cluster();
    }

    private static ProcessRef ref(String id) {
        return ProcessRef.newBuilder().setProcessId(id).build();
    }

    private OwnershipRecord record(String id) throws Exception {
        return cluster.record(id).orElseThrow();
    }

    /** Spawns {@code spec} on a and freezes it past {@code instructions}, so that where it stands is exact. */
    private long spawnOnAFrozenPast(String id, ProcessSpec spec, long instructions) {
        api().spawn(ClusterSpawnRequest.newBuilder()
                .setProcessId(id)
                .setSpec(spec)
                .setPlacement(Placement.newBuilder().setNode("a"))
                .build());
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> api().get(ref(id)).getInfo().getInstructionsRetired() > instructions);
        api().freeze(ref(id));
        return api().get(ref(id)).getInfo().getInstructionsRetired();
    }

    private void migrate(String id, String node) {
        api().migrate(ClusterMigrateRequest.newBuilder()
                .setProcessId(id)
                .setTargetNode(node)
                .build());
    }

    /** Lets a held counter finish: its /data/release, uploaded to its node and written in. */
    private void release(String id, String node) throws Exception {
        pm.v1.BlobRef empty = pm.agent.Agents.putBlob(cluster.asyncAgentStub(node), new byte[0]);
        api().writeFile(pm.v1.WriteFileRequest.newBuilder()
                .setProcessId(id)
                .setPath("release")
                .setContents(empty)
                .build());
    }

    /** The process's whole output as {@code node} serves it, from offset 0 to its end. */
    private String output(String node, String id) {
        Iterator<LogChunk> chunks = cluster.agentStub(node)
                .withDeadlineAfter(5, TimeUnit.MINUTES)
                .logs(LogsRequest.newBuilder().setProcessId(id).setFollow(true).build());
        StringBuilder out = new StringBuilder();
        long next = 0;
        while (chunks.hasNext()) {
            LogChunk c = chunks.next();
            assertThat(c.getOffset()).as("no gap in the log").isEqualTo(next);
            next += c.getData().size();
            out.append(c.getData().toStringUtf8());
        }
        return out.toString();
    }

    private Iterator<ClusterEvent> events(String id) {
        return cluster.cluster()
                .withDeadlineAfter(2, TimeUnit.MINUTES)
                .events(EventsRequest.newBuilder().setProcessId(id).build());
    }

    @Test
    void aTargetLostRightAfterAMigrationComesBackOnTheSourceAsTheMigrationLeftIt() throws Exception {
        ProcessSpec spec = Guests.heldCounter(200, 20_000, 2 << 20); // no checkpoint policy: nothing durable
        String reference = Guests.reference(Guests.released(spec));
        long handedOverAt = spawnOnAFrozenPast("p", spec, 3_000_000);
        migrate("p", "b");
        OwnershipRecord migrated = record("p");
        assertThat(migrated.getOwner()).isEqualTo("b");
        assertThat(migrated.getRetainedNode())
                .as("the source keeps the copy it handed over")
                .isEqualTo("a");
        assertThat(migrated.getRetainedMigrationId()).isNotEmpty();
        Iterator<ClusterEvent> events = events("p");

        cluster.loseAgent("b");
        // Adopted, the copy is the process itself: the record names no copy any more.
        OwnershipRecord after = await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(
                        () -> record("p"),
                        r -> !r.getOwner().equals("b") && r.getRetainedNode().isEmpty());
        assertThat(after.getOwner()).isEqualTo("a");
        assertThat(after.getEpoch()).isGreaterThan(migrated.getEpoch());
        ClusterEvent recovered = await().atMost(Duration.ofSeconds(30))
                .until(events::next, e -> e.getKind() == ClusterEvent.Kind.KIND_RECOVERED);
        assertThat(recovered.getDetail()).contains("from the copy it kept").contains(migrated.getRetainedMigrationId());
        await().atMost(Duration.ofSeconds(30))
                .until(() -> cluster.agentsHolding("p").contains("a"));
        var info = api().get(ref("p")).getInfo();
        assertThat(info.getState()).as("as it was handed over: frozen").isEqualTo(ProcessState.PROCESS_STATE_FROZEN);
        assertThat(info.getInstructionsRetired())
                .as("exactly where the migration left it, not from its spec (it has no checkpoint)")
                .isEqualTo(handedOverAt);

        api().thaw(ref("p"));
        release("p", "a");
        assertThat(output("a", "p")).as("its whole output, once").isEqualTo(reference);
    }

    @Test
    void theSourceLostAfterTheCommitLeavesTheTargetRunningIt() throws Exception {
        ProcessSpec spec = Guests.heldCounter(200, 20_000, 2 << 20);
        String reference = Guests.reference(Guests.released(spec));
        spawnOnAFrozenPast("q", spec, 3_000_000);
        migrate("q", "b");
        OwnershipRecord migrated = record("q");

        cluster.loseAgent("a");
        // Well past the grace: the recovery looked at a's processes and found q not among them.
        await().pollDelay(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(30))
                .until(() -> cluster.leader().isLeader());
        OwnershipRecord now = record("q");
        assertThat(now.getOwner()).isEqualTo("b");
        assertThat(now.getEpoch()).isEqualTo(migrated.getEpoch());
        assertThat(cluster.agentsHolding("q")).containsExactly("b");
        api().thaw(ref("q"));
        release("q", "b");
        assertThat(output("b", "q")).isEqualTo(reference);
    }

    @Test
    void bothLostFallBackToTheLastDurableCheckpoint() throws Exception {
        ProcessSpec spec = Guests.heldCounter(400, 20_000, 2 << 20);
        String reference = Guests.reference(Guests.released(spec));
        long checkpointedAt = spawnOnAFrozenPast("r", spec, 3_000_000);
        api().checkpoint(pm.v1.CheckpointRequest.newBuilder().setProcessId("r").build()); // durable when it returns
        List<String> holders = record("r").getCheckpointNodesList();
        assertThat(holders).hasSize(2).startsWith("a");
        String replica = holders.get(1);
        String target = replica.equals("b") ? "c" : "b";
        api().thaw(ref("r"));
        await().atMost(Duration.ofSeconds(60))
                .until(() -> api().get(ref("r")).getInfo().getInstructionsRetired() > checkpointedAt + 1_000_000);
        migrate("r", target);
        assertThat(record("r").getRetainedNode()).isEqualTo("a");
        assertThat(record("r").getCheckpointNodesList()).containsExactly(replica);

        cluster.loseAgent(target);
        cluster.loseAgent("a");
        OwnershipRecord after = await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> record("r"), r -> r.getOwner().equals(replica));
        await().atMost(Duration.ofSeconds(30))
                .until(() -> cluster.agentsHolding("r").contains(replica));
        assertThat(after.getRetainedNode()).isEmpty();
        assertThat(api().get(ref("r")).getInfo().getInstructionsRetired())
                .as("from the checkpoint taken before the migration")
                .isGreaterThanOrEqualTo(checkpointedAt);
        api().thaw(ref("r"));
        release("r", replica);
        assertThat(output(replica, "r")).isEqualTo(reference);
    }

    @Test
    void theTargetsFirstDurableCheckpointEndsTheWindow() throws Exception {
        ProcessSpec spec = Guests.heldCounter(200, 20_000, 2 << 20);
        spawnOnAFrozenPast("s", spec, 3_000_000);
        migrate("s", "b");
        assertThat(record("s").getRetainedNode()).isEqualTo("a");

        api().checkpoint(pm.v1.CheckpointRequest.newBuilder().setProcessId("s").build());
        OwnershipRecord checkpointed = record("s");
        assertThat(checkpointed.getCheckpointNodesList()).hasSize(2).startsWith("b");
        assertThat(checkpointed.getRetainedNode()).as("durable on its own now").isEmpty();
        Iterator<ClusterEvent> events = events("s");

        cluster.loseAgent("b");
        ClusterEvent recovered = await().atMost(Duration.ofSeconds(60))
                .until(events::next, e -> e.getKind() == ClusterEvent.Kind.KIND_RECOVERED);
        assertThat(recovered.getDetail()).contains("from checkpoint " + checkpointed.getLastCheckpointId());
    }
}
