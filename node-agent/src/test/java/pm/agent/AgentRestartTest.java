package pm.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.v1.CheckpointRequest;
import pm.v1.MigrateRequest;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;
import pm.v1.SpawnRequest;

/** An agent restarted on its data directory carries on with the processes it owned, from their checkpoints. */
class AgentRestartTest {
    @TempDir
    Path dir;

    @Test
    void aMigratedProcessCarriesOnAfterItsAgentRestartsAndMovesOn() throws Exception {
        ProcessSpec spec = Agents.counter(1500, 20_000, 512 << 10, 8 << 10);
        String expected = Agents.reference(spec);
        try (Agents agents = new Agents(dir)) {
            NodeAgentServer a = agents.start("a");
            NodeAgentServer b = agents.start("b");
            ProcessRef p = ProcessRef.newBuilder().setProcessId("p").build();
            agents.stub(a)
                    .spawn(SpawnRequest.newBuilder()
                            .setProcessId("p")
                            .setSpec(spec)
                            .build());
            Agents.awaitProgress(agents.stub(a), "p", 5_000_000); // it prints something on a
            agents.stub(a).freeze(p);
            long[] end = new long[1];
            String onA = logsUpTo(agents, a, 0, end);
            agents.stub(a)
                    .migrateOut(MigrateRequest.newBuilder()
                            .setProcessId("p")
                            .setTarget(b.address())
                            .setCommit(true)
                            .build());
            assertThat(agents.stub(b).get(p).getState())
                    .as("frozen before, frozen after")
                    .isEqualTo(ProcessState.PROCESS_STATE_FROZEN);
            agents.stub(b).thaw(p);
            Agents.awaitProgress(agents.stub(b), "p", 5_000_000); // and on b

            // Freeze, checkpoint and stop b: its restart comes back exactly there, frozen.
            agents.stub(b).freeze(p);
            agents.stub(b)
                    .checkpoint(CheckpointRequest.newBuilder()
                            .setProcessId("p")
                            .setIncremental(true)
                            .build());
            String onB = logsUpTo(agents, b, end[0], end);
            b.close();
            NodeAgentServer b2 = agents.start(AgentConfig.defaults("b", dir.resolve("b")));

            assertThat(agents.stub(b2).get(p).getState()).isEqualTo(ProcessState.PROCESS_STATE_FROZEN);
            agents.stub(b2)
                    .migrateOut(MigrateRequest.newBuilder()
                            .setProcessId("p")
                            .setTarget(a.address())
                            .setCommit(true)
                            .build());
            agents.stub(a).thaw(p);
            String after = Agents.follow(agents.stub(a), "p", end[0], null);

            String before = onA + onB;
            assertThat(before + after).isEqualTo(expected);
        }
    }

    @Test
    void whatAProcessPrintedBeforeItsCheckpointOutlivesItsAgentKilledRightAfterIt() throws Exception {
        ProcessSpec spec = Agents.counter(600, 20_000, 512 << 10, 8 << 10);
        String expected = Agents.reference(spec);
        try (AgentProcess a = new AgentProcess("a", dir.resolve("a"))) {
            a.start("");
            a.stub()
                    .spawn(SpawnRequest.newBuilder()
                            .setProcessId("p")
                            .setSpec(spec)
                            .build());
            Agents.awaitProgress(a.stub(), "p", 5_000_000);
            // Output reaches the disk about once a second; the kill comes before the next time.
            a.stub().checkpoint(CheckpointRequest.newBuilder().setProcessId("p").build());
            a.killHard();
            a.start("");

            assertThat(Agents.follow(a.stub(), "p", 0, null))
                    .as("every byte from offset 0, once")
                    .isEqualTo(expected);
        }
    }

    /** Everything the frozen process printed on {@code agent}, and the offset after it. */
    private static String logsUpTo(Agents agents, NodeAgentServer agent, long from, long[] end) {
        StringBuilder out = new StringBuilder();
        long at = from;
        var it = agents.stub(agent)
                .logs(pm.v1.LogsRequest.newBuilder()
                        .setProcessId("p")
                        .setFromOffset(from)
                        .build());
        while (it.hasNext()) {
            var c = it.next();
            assertThat(c.getOffset()).as("no gap in the log").isEqualTo(at);
            out.append(c.getData().toStringUtf8());
            at = c.getOffset() + c.getData().size();
        }
        end[0] = at;
        return out.toString();
    }
}
