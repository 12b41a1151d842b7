package pm.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.v1.MigrateRequest;
import pm.v1.MigrationResult;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;
import pm.v1.SpawnRequest;

/** A running process moves between real agents on loopback, many times; its output and files come out whole. */
class MigrationTest {
    @TempDir
    Path dir;

    private final ExecutorService followers = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        followers.shutdownNow();
    }

    /** Follows the process's log on {@code agent} from {@code offset} until it closes there; returns text and end offset. */
    private Future<Object[]> follow(Agents agents, NodeAgentServer agent, String id, long offset) {
        var stub = agents.stub(agent);
        return followers.submit(() -> {
            long[] end = new long[1];
            String text = Agents.follow(stub, id, offset, end);
            return new Object[] {text, end[0]};
        });
    }

    @Test
    void aRunningProcessMovesAcrossThreeAgentsManyTimesWithItsOutputAndFilesWhole() throws Exception {
        try (Agents agents = new Agents(dir)) {
            List<NodeAgentServer> nodes = List.of(agents.start("a"), agents.start("b"), agents.start("c"));
            // 1 MiB written once, then a 16 KiB working set: pages written once and never again must travel too.
            ProcessSpec spec = Agents.counter(3000, 20_000, 1 << 20, 16 << 10);
            String expected = Agents.reference(spec);
            agents.stub(nodes.get(0))
                    .spawn(SpawnRequest.newBuilder()
                            .setProcessId("p1")
                            .setSpec(spec)
                            .build());

            StringBuilder seen = new StringBuilder();
            long offset = 0;
            List<MigrationResult> results = new ArrayList<>();
            for (int hop = 0; hop < 12; hop++) {
                NodeAgentServer from = nodes.get(hop % 3);
                NodeAgentServer to = nodes.get((hop + 1) % 3);
                Future<Object[]> log = follow(agents, from, "p1", offset);
                Agents.awaitProgress(agents.stub(from), "p1", 2_000_000); // it prints a little on each agent
                results.add(agents.stub(from)
                        .migrateOut(MigrateRequest.newBuilder()
                                .setProcessId("p1")
                                .setTarget(to.address())
                                .setCommit(true)
                                .build()));
                Object[] part = log.get(60, TimeUnit.SECONDS);
                seen.append((String) part[0]);
                offset = (Long) part[1];
                assertThat(agents.stub(to)
                                .get(ProcessRef.newBuilder().setProcessId("p1").build())
                                .getState())
                        .isIn(ProcessState.PROCESS_STATE_RUNNING, ProcessState.PROCESS_STATE_EXITED);
            }
            NodeAgentServer last = nodes.get(12 % 3);
            seen.append((String) follow(agents, last, "p1", offset).get(120, TimeUnit.SECONDS)[0]);

            assertThat(seen.toString()).isEqualTo(expected);
            assertThat((String) follow(agents, last, "p1", 0).get(60, TimeUnit.SECONDS)[0])
                    .as("the retained output travels with each move (before the freeze, then what came after)")
                    .isEqualTo(expected);
            assertThat(expected).contains("ticks file: 3000 lines");
            assertThat(results).allSatisfy(r -> {
                assertThat(r.getCommitted()).isTrue();
                assertThat(r.getPagesSent()).isPositive();
            });
            assertThat(agents.stub(last)
                            .get(ProcessRef.newBuilder().setProcessId("p1").build())
                            .getEpoch())
                    .as("each move raises the ownership epoch")
                    .isEqualTo(13);
        }
    }
}
