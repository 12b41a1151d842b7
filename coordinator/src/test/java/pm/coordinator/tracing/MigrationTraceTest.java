package pm.coordinator.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.common.tracing.DaemonTracing;
import pm.common.tracing.SpanNames;
import pm.coordinator.ClusterFixture;
import pm.coordinator.Guests;
import pm.v1.ClusterGrpc;
import pm.v1.ClusterMigrateRequest;
import pm.v1.ClusterSpawnRequest;
import pm.v1.MigrationReport;
import pm.v1.Placement;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;

/**
 * Traces of a real cluster (ZooKeeper, a coordinator, two agents, real gRPC on loopback), every daemon
 * recording into one SDK with an in-memory exporter: a live migration and a spawn are each one trace
 * across the daemons, with pm's phases as spans in the right places.
 */
class MigrationTraceTest {
    private static final String MIGRATE_OUT = "pm.v1.NodeAgent/MigrateOut";
    private static final String TRANSFER = "pm.v1.NodeAgent/Transfer";
    private static final String COMMIT_MIGRATION = "pm.v1.NodeAgent/CommitMigration";
    private static final String SPAWN = "pm.v1.NodeAgent/Spawn";

    @TempDir
    Path dir;

    private final InMemorySpanExporter exported = InMemorySpanExporter.create();
    private DaemonTracing tracing;
    private ClusterFixture cluster;
    private ClusterGrpc.ClusterBlockingStub api;

    @BeforeEach
    void start() throws Exception {
        tracing = DaemonTracing.withProcessor(SimpleSpanProcessor.create(exported), "pm-test", "one-jvm");
        cluster = new ClusterFixture(dir).withTelemetry(tracing.telemetry()).agents("a", "b");
        cluster.coordinator("c1");
        api = cluster.cluster();
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
        tracing.close();
    }

    /** Spawns a counter on {@code node} that stays alive (held at its end) and waits until it has run. */
    private void spawnRunning(String id, String node) {
        // Held at its end until released: however fast the tier runs it, it is alive when it migrates.
        ProcessSpec spec = Guests.heldCounter(400, 20_000, 4 << 20);
        api.spawn(ClusterSpawnRequest.newBuilder()
                .setProcessId(id)
                .setSpec(spec)
                .setPlacement(Placement.newBuilder().setNode(node))
                .build());
        ProcessRef ref = ProcessRef.newBuilder().setProcessId(id).build();
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(10))
                .until(() -> api.get(ref).getInfo().getInstructionsRetired() > 0);
    }

    /** The trace whose root is called {@code rootName}, once it holds every span named in {@code expected}. */
    private SpanTree awaitTrace(String rootName, Set<String> expected) {
        return await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(
                        () -> SpanTree.root(rootName, exported.getFinishedSpanItems())
                                .map(root -> SpanTree.of(root, exported.getFinishedSpanItems())),
                        t -> t.isPresent()
                                && t.get().spans().stream()
                                        .map(SpanData::getName)
                                        .collect(Collectors.toSet())
                                        .containsAll(expected))
                .get();
    }

    /** Every span lies within its parent's interval, except a stream's: it closes after the source half-closes it. */
    private static void assertNested(SpanTree trace) {
        for (SpanData s : trace.spans()) {
            if (s.getName().equals(TRANSFER)) {
                continue;
            }
            trace.parent(s)
                    .ifPresent(p -> assertThat(SpanTree.within(s, p))
                            .as(
                                    "%s [%d, %d] within its parent %s [%d, %d]",
                                    s.getName(),
                                    s.getStartEpochNanos(),
                                    s.getEndEpochNanos(),
                                    p.getName(),
                                    p.getStartEpochNanos(),
                                    p.getEndEpochNanos())
                            .isTrue());
        }
    }

    private static SpanData parentOf(SpanTree trace, SpanData s) {
        return trace.parent(s).orElseThrow(() -> new AssertionError(s.getName() + " has no parent in the trace"));
    }

    @Test
    void aLiveMigrationIsOneTraceAcrossCoordinatorSourceAndTargetLastingTheMigrationsMeasuredTotal() {
        spawnRunning("p1", "a");
        exported.reset(); // only the migration from here

        MigrationReport report = api.migrate(ClusterMigrateRequest.newBuilder()
                .setProcessId("p1")
                .setTargetNode("b")
                .build());

        SpanTree trace = awaitTrace(
                SpanNames.MIGRATION,
                Set.of(
                        SpanNames.MIGRATION_START,
                        SpanNames.MIGRATION_TRANSFER,
                        SpanNames.MIGRATION_COMMIT,
                        SpanNames.MIGRATION_FINISH,
                        MIGRATE_OUT,
                        SpanNames.SOURCE,
                        SpanNames.PRECOPY_ROUND,
                        SpanNames.SYNC,
                        SpanNames.FREEZE,
                        SpanNames.FINAL_FRAME,
                        TRANSFER,
                        SpanNames.RECEIVE,
                        SpanNames.PREPARE,
                        COMMIT_MIGRATION,
                        SpanNames.RESUME,
                        SpanNames.HAND_OFF));
        SpanData root = trace.one(SpanNames.MIGRATION);
        long phasesNanos =
                trace.children(root).stream().mapToLong(SpanTree::durationNanos).sum();
        System.out.printf(
                "trace %s of migration %s (%s -> %s): reported total %.3f ms, downtime %.3f ms%n%s"
                        + "coordinator's steps add up to %.3f ms of the root's %.3f ms%n",
                root.getTraceId(),
                report.getMigrationId(),
                report.getSourceNode(),
                report.getTargetNode(),
                report.getTotalMicros() / 1e3,
                report.getDowntimeMicros() / 1e3,
                trace.print(),
                phasesNanos / 1000 / 1e3,
                SpanTree.durationNanos(root) / 1000 / 1e3);

        // The root is the migration as the coordinator measured it: the same stopwatch, not a second clock.
        assertThat(SpanTree.durationNanos(root) / 1000).isEqualTo(report.getTotalMicros());
        assertThat(root.getAttributes().get(SpanNames.MIGRATION_ID)).isEqualTo(report.getMigrationId());
        assertThat(root.getAttributes().get(SpanNames.PROCESS_ID)).isEqualTo("p1");
        assertThat(root.getAttributes().get(SpanNames.SOURCE_NODE)).isEqualTo("a");
        assertThat(root.getAttributes().get(SpanNames.TARGET_NODE)).isEqualTo("b");
        assertThat(root.getAttributes().get(SpanNames.EPOCH)).isEqualTo(1L);
        assertThat(trace.children(root))
                .extracting(SpanData::getName)
                .containsExactly(
                        SpanNames.MIGRATION_START,
                        SpanNames.MIGRATION_TRANSFER,
                        SpanNames.MIGRATION_COMMIT,
                        SpanNames.MIGRATION_FINISH);
        assertThat(phasesNanos).isLessThanOrEqualTo(SpanTree.durationNanos(root));

        // Coordinator -> source: the MigrateOut call carries the trace; the source's phases hang below it.
        SpanData call = trace.named(MIGRATE_OUT).stream()
                .filter(s -> s.getKind() == SpanKind.CLIENT)
                .findFirst()
                .orElseThrow();
        assertThat(parentOf(trace, call).getName()).isEqualTo(SpanNames.MIGRATION_TRANSFER);
        SpanData served = trace.named(MIGRATE_OUT).stream()
                .filter(s -> s.getKind() == SpanKind.SERVER)
                .findFirst()
                .orElseThrow();
        assertThat(parentOf(trace, served)).isEqualTo(call);
        SpanData source = trace.one(SpanNames.SOURCE);
        assertThat(parentOf(trace, source)).isEqualTo(served);
        assertThat(source.getInstrumentationScopeInfo().getName()).isEqualTo("pm.agent");
        assertThat(source.getAttributes().get(SpanNames.MIGRATION_ID)).isEqualTo(report.getMigrationId());
        assertThat(source.getAttributes().get(SpanNames.EPOCH)).isEqualTo(2L);
        assertThat(source.getAttributes().get(SpanNames.TARGET_ADDRESS))
                .isEqualTo(cluster.agent("b").address());
        assertThat(trace.one(SpanNames.PREPARE).getAttributes().get(SpanNames.SOURCE_ADDRESS))
                .isEqualTo(cluster.agent("a").address());
        for (String phase : List.of(SpanNames.SYNC, SpanNames.FREEZE, SpanNames.FINAL_FRAME)) {
            assertThat(parentOf(trace, trace.one(phase))).as(phase).isEqualTo(source);
        }
        // One span per pre-copy round the source reports, numbered from 0, each with what it sent; a last check
        // that found the rest small enough for the final frame sends nothing.
        int rounds = report.getTransfer().getRounds();
        List<SpanData> roundSpans = trace.named(SpanNames.PRECOPY_ROUND);
        assertThat(roundSpans).allSatisfy(r -> assertThat(parentOf(trace, r)).isEqualTo(source));
        assertThat(roundSpans)
                .extracting(r -> r.getAttributes().get(SpanNames.ROUND))
                .startsWith(java.util.stream.LongStream.range(0, rounds).boxed().toArray(Long[]::new));
        assertThat(roundSpans.subList(0, rounds))
                .allSatisfy(
                        r -> assertThat(r.getAttributes().get(SpanNames.BYTES)).isPositive());
        assertThat(roundSpans.subList(rounds, roundSpans.size()))
                .allSatisfy(
                        r -> assertThat(r.getAttributes().get(SpanNames.BYTES)).isZero());
        assertThat(roundSpans.size()).isLessThanOrEqualTo(rounds + 1);
        assertThat(trace.one(SpanNames.FINAL_FRAME).getAttributes().get(SpanNames.PAGES))
                .isEqualTo(report.getTransfer().getFinalPages());

        // Source -> target: the transfer stream carries it on; the target receives, then prepares.
        SpanData stream = trace.named(TRANSFER).stream()
                .filter(s -> s.getKind() == SpanKind.CLIENT)
                .findFirst()
                .orElseThrow();
        assertThat(parentOf(trace, stream)).isEqualTo(source);
        SpanData received = trace.named(TRANSFER).stream()
                .filter(s -> s.getKind() == SpanKind.SERVER)
                .findFirst()
                .orElseThrow();
        assertThat(parentOf(trace, received)).isEqualTo(stream);
        assertThat(parentOf(trace, trace.one(SpanNames.RECEIVE))).isEqualTo(received);
        assertThat(parentOf(trace, trace.one(SpanNames.PREPARE))).isEqualTo(received);
        assertThat(trace.one(SpanNames.RECEIVE).getEndEpochNanos())
                .isLessThanOrEqualTo(trace.one(SpanNames.PREPARE).getStartEpochNanos());

        // The commit on the coordinator, then both agents hear it: the target resumes, the source hands off.
        SpanData finish = trace.one(SpanNames.MIGRATION_FINISH);
        List<SpanData> commits = trace.named(COMMIT_MIGRATION).stream()
                .filter(s -> s.getKind() == SpanKind.CLIENT)
                .toList();
        assertThat(commits)
                .hasSize(2)
                .allSatisfy(c -> assertThat(parentOf(trace, c)).isEqualTo(finish));
        assertThat(parentOf(trace, parentOf(trace, trace.one(SpanNames.RESUME))))
                .isIn(commits);
        assertThat(parentOf(trace, parentOf(trace, trace.one(SpanNames.HAND_OFF))))
                .isIn(commits);

        assertThat(trace.spans())
                .extracting(s -> s.getInstrumentationScopeInfo().getName())
                .contains("pm.coordinator", "pm.agent", "pm.grpc");
        assertThat(trace.spans())
                .allSatisfy(s -> assertThat(s.getStatus().getStatusCode())
                        .as(s.getName())
                        .isNotEqualTo(StatusCode.ERROR));
        assertNested(trace);
    }

    @Test
    void aSpawnIsOneTraceFromTheCoordinatorToTheAgentThatStartsIt() {
        spawnRunning("p1", "b");

        SpanTree trace = awaitTrace(SpanNames.SPAWN, Set.of(SPAWN, SpanNames.AGENT_SPAWN));
        System.out.printf("trace of spawn p1:%n%s", trace.print());

        SpanData root = trace.one(SpanNames.SPAWN);
        assertThat(root.getAttributes().get(SpanNames.PROCESS_ID)).isEqualTo("p1");
        assertThat(root.getAttributes().get(SpanNames.TARGET_NODE)).isEqualTo("b");
        SpanData call = trace.named(SPAWN).stream()
                .filter(s -> s.getKind() == SpanKind.CLIENT)
                .findFirst()
                .orElseThrow();
        SpanData served = trace.named(SPAWN).stream()
                .filter(s -> s.getKind() == SpanKind.SERVER)
                .findFirst()
                .orElseThrow();
        SpanData started = trace.one(SpanNames.AGENT_SPAWN);
        assertThat(parentOf(trace, call)).isEqualTo(root);
        assertThat(parentOf(trace, served)).isEqualTo(call);
        assertThat(parentOf(trace, started)).isEqualTo(served);
        assertThat(started.getAttributes().get(SpanNames.PROCESS_ID)).isEqualTo("p1");
        assertNested(trace);
    }

    @Test
    void aMigrationRefusedMarksItsSpanAndTheStepThatFailedAsErrors() {
        spawnRunning("p1", "a");
        exported.reset();

        assertThatThrownBy(() -> api.migrate(ClusterMigrateRequest.newBuilder()
                        .setProcessId("p1")
                        .setTargetNode("nowhere")
                        .build()))
                .isInstanceOf(io.grpc.StatusRuntimeException.class);

        SpanTree trace = awaitTrace(SpanNames.MIGRATION, Set.of(SpanNames.MIGRATION_START));
        System.out.printf("trace of a refused migration:%n%s", trace.print());
        for (SpanData s : List.of(trace.one(SpanNames.MIGRATION), trace.one(SpanNames.MIGRATION_START))) {
            assertThat(s.getStatus().getStatusCode()).as(s.getName()).isEqualTo(StatusCode.ERROR);
            assertThat(s.getEvents())
                    .as(s.getName())
                    .extracting(e -> e.getName())
                    .contains("exception");
        }
        assertThat(trace.named(MIGRATE_OUT)).as("no agent was asked").isEmpty();
    }

    @Test
    void withoutTelemetryAMigrationRecordsNothingAndStillWorks() throws Exception {
        try (ClusterFixture untraced = new ClusterFixture(dir.resolve("untraced")).agents("x", "y")) {
            untraced.coordinator("c2");
            ClusterGrpc.ClusterBlockingStub plain = untraced.cluster();
            plain.spawn(ClusterSpawnRequest.newBuilder()
                    .setProcessId("q")
                    .setSpec(Guests.heldCounter(400, 20_000, 1 << 20))
                    .setPlacement(Placement.newBuilder().setNode("x"))
                    .build());
            exported.reset();

            MigrationReport report = plain.migrate(ClusterMigrateRequest.newBuilder()
                    .setProcessId("q")
                    .setTargetNode("y")
                    .build());

            assertThat(report.getTargetNode()).isEqualTo("y");
            assertThat(untraced.record("q").orElseThrow().getOwner()).isEqualTo("y");
            assertThat(exported.getFinishedSpanItems())
                    .as("the traced cluster's exporter heard nothing of it")
                    .isEmpty();
        }
    }
}
