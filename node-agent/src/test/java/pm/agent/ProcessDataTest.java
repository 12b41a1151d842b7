package pm.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.v1.NodeAgentGrpc;
import pm.v1.ProcessInfo;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;
import pm.v1.SpawnRequest;

/** What a process reads and writes on its way in and out: its /data directory, its output. Real gRPC, real guests. */
class ProcessDataTest {
    @TempDir
    Path dir;

    private Agents agents;
    private NodeAgentGrpc.NodeAgentBlockingStub agent;

    @BeforeEach
    void start() throws Exception {
        agents = new Agents(dir);
        agent = agents.stub(agents.start("a"));
    }

    @AfterEach
    void stop() {
        agents.close();
    }

    @Test
    void dataExistsWithoutInputFilesSoAProgramCanCreateItsOwn() throws Exception {
        ProcessSpec spec = ProcessSpec.newBuilder()
                .setModule(ByteString.copyFrom(Agents.guest("store")))
                .addArgs("store")
                .addArgs("made.txt")
                .setStdin(ByteString.copyFromUtf8("hello\n"))
                .build();
        agent.spawn(SpawnRequest.newBuilder().setProcessId("mk").setSpec(spec).build());

        String out = Agents.follow(agent, "mk", 0, null);
        ProcessInfo info = agent.get(ProcessRef.newBuilder().setProcessId("mk").build());

        assertThat(info.getState()).isEqualTo(ProcessState.PROCESS_STATE_EXITED);
        assertThat(info.getExitStatus()).as(out).isZero();
        assertThat(out).isEqualTo("stored 6 bytes in /data/made.txt\n");
    }

    /** Text of {@code size} bytes, lines numbered so a gap or a repeat shows. */
    private static String text(int size) {
        StringBuilder b = new StringBuilder(size + 64);
        for (int i = 0; b.length() < size; i++) {
            b.append("line ").append(i).append(" of the output that must not be lost\n");
        }
        return b.substring(0, size);
    }

    private static ProcessSpec cat(String contents, String waitFor) throws Exception {
        ProcessSpec.Builder spec = ProcessSpec.newBuilder()
                .setModule(ByteString.copyFrom(Agents.guest("store")))
                .addArgs("store")
                .addArgs("-c")
                .addArgs("out.txt")
                .addFiles(
                        pm.v1.FileEntry.newBuilder().setPath("out.txt").setContents(ByteString.copyFromUtf8(contents)));
        if (waitFor != null) {
            spec.addArgs(waitFor);
        }
        return spec.build();
    }

    /** All of stdout from {@code from}, without following; the first chunk's dropped count into {@code dropped}. */
    private static String logs(NodeAgentGrpc.NodeAgentBlockingStub agent, String id, long from, long[] dropped) {
        StringBuilder out = new StringBuilder();
        var it = agent.logs(pm.v1.LogsRequest.newBuilder()
                .setProcessId(id)
                .setFromOffset(from)
                .build());
        boolean first = true;
        long expected = -1;
        while (it.hasNext()) {
            pm.v1.LogChunk c = it.next();
            if (first && dropped != null) {
                dropped[0] = c.getDroppedBefore();
            }
            if (expected >= 0 && c.getOffset() != expected) {
                throw new AssertionError("log gap at " + expected + ": next chunk at " + c.getOffset());
            }
            expected = c.getOffset() + c.getData().size();
            first = false;
            out.append(c.getData().toStringUtf8());
        }
        return out.toString();
    }

    private static void awaitEnd(NodeAgentGrpc.NodeAgentBlockingStub agent, String id) {
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofMinutes(2))
                .until(() -> agent.get(ProcessRef.newBuilder().setProcessId(id).build())
                                .getState()
                        == ProcessState.PROCESS_STATE_EXITED);
    }

    @Test
    void outputBeyondTheMemoryTailIsServedFromOffsetZero() throws Exception {
        String big = text(3 << 20);
        agent.spawn(SpawnRequest.newBuilder()
                .setProcessId("chatty")
                .setSpec(cat(big, null))
                .build());
        awaitEnd(agent, "chatty");

        long[] dropped = {-1};
        assertThat(logs(agent, "chatty", 0, dropped)).isEqualTo(big);
        assertThat(dropped[0]).isZero();
        assertThat(logs(agent, "chatty", 1_000_000, null)).isEqualTo(big.substring(1_000_000)); // disk, then memory
        assertThat(logs(agent, "chatty", 3_000_000, null)).isEqualTo(big.substring(3_000_000)); // memory only
    }

    @Test
    void aReaderIsToldHowManyBytesAreNoLongerKept() throws Exception {
        NodeAgentGrpc.NodeAgentBlockingStub small =
                agents.stub(agents.start(AgentConfig.defaults("small", dir.resolve("small"))
                        .withProcessDefaults(100_000, 64L << 20, 512 << 10, 16 << 20)));
        String big = text(3 << 20);
        small.spawn(SpawnRequest.newBuilder()
                .setProcessId("chatty")
                .setSpec(cat(big, null))
                .build());
        awaitEnd(small, "chatty");

        long[] dropped = {-1};
        String got = logs(small, "chatty", 0, dropped);

        assertThat(dropped[0]).isPositive();
        assertThat(dropped[0] + got.length()).isEqualTo(big.length());
        assertThat(got).isEqualTo(big.substring((int) dropped[0]));
    }

    @Test
    void withOutputBackpressureTheGuestWaitsForItsReaderAndNothingIsDropped() throws Exception {
        AgentConfig small = AgentConfig.defaults("bp", dir.resolve("bp"))
                .withProcessDefaults(100_000, 64L << 20, 512 << 10, 16 << 20);
        NodeAgentGrpc.NodeAgentBlockingStub source = agents.stub(agents.start(small));
        NodeAgentServer target = agents.start(AgentConfig.defaults("bp2", dir.resolve("bp2"))
                .withProcessDefaults(100_000, 64L << 20, 512 << 10, 16 << 20));
        String big = text(3 << 20); // six times what the agents keep
        source.spawn(SpawnRequest.newBuilder()
                .setProcessId("careful")
                .setSpec(cat(big, null).toBuilder().setOutputBackpressure(true))
                .build());
        ProcessRef ref = ProcessRef.newBuilder().setProcessId("careful").build();

        // Nobody reads: it waits in a write, running, with at most what the node keeps written.
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofMinutes(2))
                .until(() -> source.get(ref).getOutputWaiting());
        assertThat(source.get(ref).getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        long[] dropped = {-1};
        String firstPart = logs(source, "careful", 0, dropped);
        assertThat(firstPart.length()).isLessThanOrEqualTo(512 << 10);
        assertThat(dropped[0]).isZero();
        assertThat(firstPart).isEqualTo(big.substring(0, firstPart.length()));

        // Waiting, it migrates; on the new node it carries on as its reader reads, to the end, nothing lost.
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofMinutes(2))
                .until(() -> source.get(ref).getOutputWaiting());
        source.migrateOut(pm.v1.MigrateRequest.newBuilder()
                .setProcessId("careful")
                .setTarget(target.address())
                .setCommit(true)
                .build());
        String all = Agents.follow(agents.stub(target), "careful", 0, null);
        assertThat(all.length()).isEqualTo(big.length());
        assertThat(all).isEqualTo(big);
        awaitEnd(agents.stub(target), "careful");
        assertThat(agents.stub(target).get(ref).getExitStatus()).isZero();
    }

    @Test
    void allTheOutputMovesWithAMigrationAndIsServedByTheTarget() throws Exception {
        NodeAgentServer b = agents.start("b");
        NodeAgentGrpc.NodeAgentBlockingStub target = agents.stub(b);
        String big = text(3 << 20);
        agent.spawn(SpawnRequest.newBuilder()
                .setProcessId("mover")
                .setSpec(cat(big, "go"))
                .build());
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofMinutes(2))
                .until(() -> logs(agent, "mover", 0, null).length()
                        == big.length()); // printed it all; now waits for /data/go

        agent.migrateOut(pm.v1.MigrateRequest.newBuilder()
                .setProcessId("mover")
                .setTarget(b.address())
                .setCommit(true)
                .build());

        assertThat(logs(target, "mover", 0, null)).isEqualTo(big);
    }

    @Test
    void anAgentRestartedOnItsDataServesTheOutputItHadFromOffsetZero() throws Exception {
        NodeAgentServer c = agents.start("c");
        String big = text(2 << 20);
        agents.stub(c)
                .spawn(SpawnRequest.newBuilder()
                        .setProcessId("kept")
                        .setSpec(cat(big, "go"))
                        .build());
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofMinutes(2))
                .until(() -> logs(agents.stub(c), "kept", 0, null).length() == big.length());
        agents.stub(c)
                .checkpoint(pm.v1.CheckpointRequest.newBuilder()
                        .setProcessId("kept")
                        .build());
        String small = text(100_000);
        agents.stub(c)
                .spawn(SpawnRequest.newBuilder()
                        .setProcessId("done")
                        .setSpec(cat(small, null))
                        .build());
        awaitEnd(agents.stub(c), "done");
        c.close();

        NodeAgentServer again = agents.start(AgentConfig.defaults("c", dir.resolve("c")));

        assertThat(logs(agents.stub(again), "kept", 0, null)).isEqualTo(big);
        ProcessInfo ended = agents.stub(again)
                .get(ProcessRef.newBuilder().setProcessId("done").build());
        assertThat(ended.getState()).isEqualTo(ProcessState.PROCESS_STATE_EXITED);
        assertThat(ended.getExitStatus()).isZero();
        assertThat(logs(agents.stub(again), "done", 0, null)).isEqualTo(small);
        StringBuilder file = new StringBuilder();
        agents.stub(again)
                .readFile(pm.v1.FileRef.newBuilder()
                        .setProcessId("done")
                        .setPath("/data/out.txt")
                        .build())
                .forEachRemaining(chunk -> file.append(chunk.getData().toStringUtf8()));
        assertThat(file.toString()).as("its files outlive the restart too").isEqualTo(small);
        agents.stub(again).kill(ProcessRef.newBuilder().setProcessId("done").build()); // removed: its output goes
        assertThat(dir.resolve("c").resolve("logs").resolve("done")).doesNotExist();
    }
}
