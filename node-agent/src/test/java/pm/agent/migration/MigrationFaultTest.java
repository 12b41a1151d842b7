package pm.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import pm.agent.AgentProcess;
import pm.agent.Agents;
import pm.v1.CheckpointRequest;
import pm.v1.MigrateRequest;
import pm.v1.ProcessInfo;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;
import pm.v1.SpawnRequest;

/**
 * Either agent of a migration dies as by kill -9 in each phase (agents in their own JVMs, halted at
 * a fault point), comes back from its data directory, and the process exists exactly once: on the
 * source if the agent died before the commit point, on the target after it. It then finishes with
 * its files whole (the ticks file holds each tick once).
 */
class MigrationFaultTest {
    private static final int TICKS = 400;

    @TempDir
    Path dir;

    static Stream<Arguments> phases() {
        return Stream.of(
                Arguments.of(FaultPoints.SOURCE_PRECOPY, "source", "source"),
                Arguments.of(FaultPoints.SOURCE_FROZEN, "source", "source"),
                Arguments.of(FaultPoints.SOURCE_FINAL_SENT, "source", "source"),
                Arguments.of(FaultPoints.SOURCE_BEFORE_COMMIT, "source", "source"),
                Arguments.of(FaultPoints.SOURCE_AFTER_COMMIT, "source", "target"),
                Arguments.of(FaultPoints.TARGET_PRECOPY, "target", "source"),
                Arguments.of(FaultPoints.TARGET_FINAL, "target", "source"),
                Arguments.of(FaultPoints.TARGET_PREPARED, "target", "source"),
                Arguments.of(FaultPoints.TARGET_AFTER_COMMIT, "target", "target"));
    }

    @ParameterizedTest(name = "{1} dies at {0}: process ends up on the {2}")
    @MethodSource("phases")
    void theProcessSurvivesExactlyOnce(String point, String dies, String owner) throws Exception {
        ProcessSpec spec = Agents.counter(TICKS, 20_000, 1 << 20, 16 << 10);
        String reference = Agents.reference(spec);
        try (AgentProcess source = new AgentProcess("source", dir.resolve("source"));
                AgentProcess target = new AgentProcess("target", dir.resolve("target"))) {
            source.start(dies.equals("source") ? point : "");
            target.start(dies.equals("target") ? point : "");
            source.stub()
                    .spawn(SpawnRequest.newBuilder()
                            .setProcessId("p")
                            .setSpec(spec)
                            .build());
            Agents.awaitProgress(source.stub(), "p", 5_000_000); // the checkpoint is not the start
            source.stub()
                    .checkpoint(CheckpointRequest.newBuilder()
                            .setProcessId("p")
                            .setIncremental(true)
                            .build());

            MigrateRequest move = MigrateRequest.newBuilder()
                    .setProcessId("p")
                    .setTarget(target.address())
                    .setCommit(true)
                    .build();
            AgentProcess dying = dies.equals("source") ? source : target;
            try {
                source.stub().migrateOut(move);
            } catch (StatusRuntimeException e) {
                // the dying side breaks the call; what matters is what survives
            }
            assertThat(dying.awaitDeath(60)).as(dies + " halted at " + point).isTrue();
            dying.start("");

            AgentProcess expectedOwner = owner.equals("source") ? source : target;
            AgentProcess other = owner.equals("source") ? target : source;
            ProcessInfo info = awaitSettled(expectedOwner, other);
            assertThat(info.getState()).isIn(ProcessState.PROCESS_STATE_RUNNING, ProcessState.PROCESS_STATE_EXITED);
            long[] end = new long[1];
            String tail = Agents.follow(
                    expectedOwner.stub().withDeadlineAfter(180, java.util.concurrent.TimeUnit.SECONDS), "p", -1, end);
            // The end of the output sums up the files and the whole memory: they must be as in a run without faults.
            assertThat(tail).endsWith(reference.substring(reference.indexOf("ticks file: " + TICKS + " lines")));
            assertThatThrownBy(() -> other.stub()
                            .get(ProcessRef.newBuilder().setProcessId("p").build()))
                    .isInstanceOf(StatusRuntimeException.class)
                    .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
                    .isEqualTo(Status.Code.NOT_FOUND);
        }
    }

    /** Waits until the owner has the process and the other agent has not, and that holds for a while. */
    private static ProcessInfo awaitSettled(AgentProcess owner, AgentProcess other) throws InterruptedException {
        AtomicInteger stable = new AtomicInteger();
        AtomicReference<ProcessInfo> last = new AtomicReference<>();
        await("settled: the owner has the process and the other agent has not")
                .atMost(Duration.ofMinutes(2))
                // polling: "settled" means five observations in a row, so a second copy would show
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    Optional<ProcessInfo> mine = get(owner);
                    Optional<ProcessInfo> theirs = get(other);
                    boolean settled = mine.isPresent()
                            && theirs.isEmpty()
                            && mine.get().getState() != ProcessState.PROCESS_STATE_PREPARED;
                    last.set(mine.orElse(null));
                    if (!settled) {
                        stable.set(0);
                        return false;
                    }
                    return stable.incrementAndGet() >= 5;
                });
        return last.get();
    }

    private static Optional<ProcessInfo> get(AgentProcess agent) {
        try {
            return Optional.of(
                    agent.stub().get(ProcessRef.newBuilder().setProcessId("p").build()));
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }
}
