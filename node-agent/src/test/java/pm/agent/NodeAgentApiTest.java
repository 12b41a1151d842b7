package pm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.v1.CheckpointInfo;
import pm.v1.CheckpointRequest;
import pm.v1.ExportRequest;
import pm.v1.ImageChunk;
import pm.v1.ImportHeader;
import pm.v1.ListRequest;
import pm.v1.MigrateRequest;
import pm.v1.NodeAgentGrpc;
import pm.v1.PageRun;
import pm.v1.ProcessInfo;
import pm.v1.ProcessLimits;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;
import pm.v1.ResumeRequest;
import pm.v1.SpawnRequest;
import pm.v1.TransferBegin;
import pm.v1.TransferFrame;
import pm.v1.TransferReply;

/**
 * The NodeAgent API through real gRPC on loopback: the life of a process (freeze, thaw,
 * checkpoint, suspend, resume, export, import, kill), and bad input answered with exact statuses
 * while another process keeps running to a correct end.
 */
class NodeAgentApiTest {
    @TempDir
    Path dir;

    private Agents agents;
    private NodeAgentServer a;
    private NodeAgentServer b;
    private NodeAgentGrpc.NodeAgentBlockingStub stubA;
    private NodeAgentGrpc.NodeAgentBlockingStub stubB;

    @BeforeEach
    void start() throws Exception {
        agents = new Agents(dir);
        a = agents.start("a");
        b = agents.start("b");
        stubA = agents.stub(a);
        stubB = agents.stub(b);
    }

    @AfterEach
    void stop() {
        agents.close();
    }

    private static ProcessRef ref(String id) {
        return ProcessRef.newBuilder().setProcessId(id).build();
    }

    private ProcessInfo spawn(NodeAgentGrpc.NodeAgentBlockingStub stub, String id, ProcessSpec spec) {
        return stub.spawn(
                SpawnRequest.newBuilder().setProcessId(id).setSpec(spec).build());
    }

    private static void assertStatus(ThrowingCallable call, Status.Code code, String messagePart) {
        assertThatThrownBy(() -> {
                    try {
                        call.call();
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw e.getCause();
                    }
                })
                .isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> {
                    Status s = ((StatusRuntimeException) e).getStatus();
                    assertThat(s.getCode()).as(String.valueOf(s)).isEqualTo(code);
                    if (!messagePart.isEmpty()) {
                        assertThat(s.getDescription()).contains(messagePart);
                    }
                });
    }

    @Test
    void freezeThawCheckpointSuspendResumeAndFinish() throws Exception {
        ProcessSpec spec = Agents.counter(800, 20_000, 1 << 20, 4096);
        String expected = Agents.reference(spec);
        spawn(stubA, "life", spec);

        ProcessInfo frozen = stubA.freeze(ref("life"));
        assertThat(frozen.getState()).isEqualTo(ProcessState.PROCESS_STATE_FROZEN);
        long retired = frozen.getInstructionsRetired();
        Thread.sleep(100); // an observation window: a frozen process must not run during it
        assertThat(stubA.get(ref("life")).getInstructionsRetired())
                .as("a frozen process does not run")
                .isEqualTo(retired);
        assertThat(stubA.thaw(ref("life")).getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        Agents.awaitProgress(stubA, "life", 1_000_000); // and a thawed one does

        CheckpointInfo full = stubA.checkpoint(
                CheckpointRequest.newBuilder().setProcessId("life").build());
        CheckpointInfo increment = stubA.checkpoint(CheckpointRequest.newBuilder()
                .setProcessId("life")
                .setIncremental(true)
                .build());
        assertThat(increment.getBaseCheckpointId()).isEqualTo(full.getCheckpointId());
        assertThat(increment.getBytes()).isLessThan(full.getBytes());

        CheckpointInfo suspended = stubA.suspend(ref("life"));
        assertThat(stubA.get(ref("life")).getState()).isEqualTo(ProcessState.PROCESS_STATE_SUSPENDED);
        assertThat(stubA.get(ref("life")).getLastCheckpointId()).isEqualTo(suspended.getCheckpointId());
        assertThat(stubA.resume(ResumeRequest.newBuilder().setProcessId("life").build())
                        .getState())
                .isEqualTo(ProcessState.PROCESS_STATE_RUNNING);

        assertThat(Agents.follow(stubA, "life", 0, null)).isEqualTo(expected);
        assertThat(stubA.get(ref("life")).getState()).isEqualTo(ProcessState.PROCESS_STATE_EXITED);
        assertThat(stubA.get(ref("life")).getExitStatus()).isZero();
    }

    @Test
    void exportedImageImportsIntoAnotherAgentAndFinishes() throws Exception {
        ProcessSpec spec = Agents.counter(600, 20_000, 256 << 10);
        String expected = Agents.reference(spec);
        spawn(stubA, "travel", spec);
        Agents.awaitProgress(stubA, "travel", 5_000_000);
        stubA.freeze(ref("travel"));
        long[] offset = new long[1];
        String before = logsSoFar(stubA, "travel", offset);
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        stubA.exportImage(ExportRequest.newBuilder().setProcessId("travel").build())
                .forEachRemaining(c -> image.writeBytes(c.getData().toByteArray()));
        stubA.kill(ref("travel"));

        ProcessInfo imported =
                importImage(b, "travel", spec, image.toByteArray()).get(60, TimeUnit.SECONDS);
        assertThat(imported.getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);

        String after = Agents.follow(stubB, "travel", 0, null);
        assertThat(before + after).isEqualTo(expected);
        assertStatus(() -> stubA.get(ref("travel")), Status.Code.NOT_FOUND, "no process travel");
    }

    @Test
    void badInputGetsExactStatusesAndOtherProcessesRunOn() throws Exception {
        ProcessSpec spec = Agents.counter(500, 20_000, 256 << 10);
        String expected = Agents.reference(spec);
        spawn(stubA, "bystander", spec);

        assertStatus(
                () -> spawn(
                        stubA,
                        "bad",
                        ProcessSpec.newBuilder()
                                .setModule(ByteString.copyFromUtf8("not wasm"))
                                .build()),
                Status.Code.INVALID_ARGUMENT,
                "bad module");
        assertStatus(
                () -> spawn(stubA, "none", ProcessSpec.getDefaultInstance()),
                Status.Code.INVALID_ARGUMENT,
                "no module");
        assertStatus(() -> spawn(stubA, "bystander", spec), Status.Code.FAILED_PRECONDITION, "already exists");
        assertStatus(
                () -> spawn(
                        stubA,
                        "tiny",
                        spec.toBuilder()
                                .setLimits(ProcessLimits.newBuilder().setMemoryPages(1))
                                .build()),
                Status.Code.RESOURCE_EXHAUSTED,
                "exceeds the limit of 1 pages");
        assertStatus(() -> stubA.get(ref("ghost")), Status.Code.NOT_FOUND, "no process ghost on this agent");
        assertStatus(() -> stubA.freeze(ref("")), Status.Code.INVALID_ARGUMENT, "process_id is required");
        spawn(stubA, "sleeper", spec);
        stubA.suspend(ref("sleeper"));
        assertStatus(
                () -> stubA.thaw(ref("sleeper")),
                Status.Code.FAILED_PRECONDITION,
                "process sleeper is SUSPENDED: cannot thaw");
        assertStatus(
                () -> stubA.checkpoint(
                        CheckpointRequest.newBuilder().setProcessId("sleeper").build()),
                Status.Code.FAILED_PRECONDITION,
                "is SUSPENDED: cannot checkpoint");
        stubA.kill(ref("sleeper"));
        assertStatus(
                () -> stubA.resume(
                        ResumeRequest.newBuilder().setProcessId("bystander").build()),
                Status.Code.FAILED_PRECONDITION,
                "cannot resume");
        assertStatus(
                () -> stubA.exportImage(ExportRequest.newBuilder()
                                .setProcessId("bystander")
                                .build())
                        .hasNext(),
                Status.Code.FAILED_PRECONDITION,
                "cannot export");
        assertStatus(
                () -> stubA.migrateOut(MigrateRequest.newBuilder()
                        .setProcessId("ghost")
                        .setTarget(b.address())
                        .build()),
                Status.Code.NOT_FOUND,
                "no process ghost");
        assertStatus(
                () -> stubA.spawn(SpawnRequest.newBuilder()
                        .setProcessId("huge")
                        .setSpec(spec.toBuilder().setStdin(ByteString.copyFrom(new byte[20 << 20])))
                        .build()),
                Status.Code.RESOURCE_EXHAUSTED,
                "");

        byte[] image = exportOf(stubB, "victim", spec);
        byte[] flipped = image.clone();
        flipped[flipped.length / 2] ^= 1;
        assertStatus(
                () -> importImage(a, "corrupt", spec, flipped)
                        .get(60, TimeUnit.SECONDS)
                        .getState(),
                Status.Code.DATA_LOSS,
                "checksum mismatch");
        byte[] truncated = java.util.Arrays.copyOf(image, image.length - 100);
        assertStatus(
                () -> importImage(a, "truncated", spec, truncated)
                        .get(60, TimeUnit.SECONDS)
                        .getState(),
                Status.Code.DATA_LOSS,
                "truncated");
        assertStatus(
                () -> importImage(
                                a,
                                "other-module",
                                ProcessSpec.newBuilder()
                                        .setModule(ByteString.copyFrom(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0}))
                                        .build(),
                                image)
                        .get(60, TimeUnit.SECONDS)
                        .getState(),
                Status.Code.FAILED_PRECONDITION,
                "is of module sha256:");

        assertThat(stubA.list(ListRequest.getDefaultInstance()).getProcessesList())
                .extracting(ProcessInfo::getProcessId)
                .containsExactly("bystander");
        assertThat(Agents.follow(stubA, "bystander", 0, null)).isEqualTo(expected);
    }

    @Test
    void aMigrationStreamThatBreaksItsRulesIsRefusedAndLeavesNothingStaged() throws Exception {
        ProcessSpec spec = Agents.counter(500, 20_000, 256 << 10);
        String expected = Agents.reference(spec);
        spawn(stubB, "bystander", spec);
        io.grpc.ManagedChannel channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forTarget(b.address())
                .usePlaintext()
                .build();
        try {
            CompletableFuture<Throwable> ended = new CompletableFuture<>();
            StreamObserver<TransferFrame> frames = NodeAgentGrpc.newStub(channel)
                    .transfer(new StreamObserver<>() {
                        @Override
                        public void onNext(TransferReply reply) {}

                        @Override
                        public void onError(Throwable t) {
                            ended.complete(t);
                        }

                        @Override
                        public void onCompleted() {
                            ended.complete(null);
                        }
                    });
            byte[] sha = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(spec.getModule().toByteArray());
            frames.onNext(TransferFrame.newBuilder()
                    .setBegin(TransferBegin.newBuilder()
                            .setMigrationId("m1")
                            .setProcessId("intruder")
                            .setModuleSha256(ByteString.copyFrom(sha))
                            .setSpec(spec)
                            .setEpoch(1)
                            .setSource("127.0.0.1:1"))
                    .build());
            frames.onNext(TransferFrame.newBuilder()
                    .setPages(PageRun.newBuilder()
                            .setFirst(0)
                            .setCount(1)
                            .setMemoryPages(4)
                            .setData(ByteString.copyFrom(new byte[65536])))
                    .build());
            frames.onNext(TransferFrame.newBuilder()
                    .setPages(PageRun.newBuilder().setFirst(10).setCount(1).setMemoryPages(4))
                    .build());

            Status status = Status.fromThrowable(ended.get(60, TimeUnit.SECONDS));
            assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(status.getDescription()).contains("pages 10+1 beyond 4 pages");
            frames.onError(Status.CANCELLED.asException());
        } finally {
            channel.shutdownNow();
        }
        assertThat(listing(dir.resolve("b").resolve("staging")))
                .as("staged pages of the refused migration")
                .isEmpty();
        assertThat(stubB.list(ListRequest.getDefaultInstance()).getProcessesList())
                .extracting(ProcessInfo::getProcessId)
                .containsExactly("bystander");
        assertThat(Agents.follow(stubB, "bystander", 0, null)).isEqualTo(expected);
    }

    private static String[] listing(Path directory) {
        String[] names = directory.toFile().list();
        return names == null ? new String[0] : names;
    }

    @Test
    void healthAndReflectionAreServed() throws Exception {
        io.grpc.ManagedChannel channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forTarget(a.address())
                .usePlaintext()
                .build();
        try {
            assertThat(io.grpc.health.v1.HealthGrpc.newBlockingStub(channel)
                            .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance())
                            .getStatus())
                    .isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
            CompletableFuture<java.util.List<String>> services = new CompletableFuture<>();
            StreamObserver<io.grpc.reflection.v1.ServerReflectionRequest> ask =
                    io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel)
                            .serverReflectionInfo(new StreamObserver<>() {
                                @Override
                                public void onNext(io.grpc.reflection.v1.ServerReflectionResponse r) {
                                    services.complete(r.getListServicesResponse().getServiceList().stream()
                                            .map(io.grpc.reflection.v1.ServiceResponse::getName)
                                            .toList());
                                }

                                @Override
                                public void onError(Throwable t) {
                                    services.completeExceptionally(t);
                                }

                                @Override
                                public void onCompleted() {}
                            });
            ask.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder()
                    .setListServices("")
                    .build());
            assertThat(services.get(30, TimeUnit.SECONDS)).contains("pm.v1.NodeAgent", "grpc.health.v1.Health");
            ask.onCompleted();
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void metricsAreScrapeableByPrometheus() throws Exception {
        spawn(stubA, "measured", Agents.counter(1_000_000, 1000, 64 << 10));
        stubA.checkpoint(CheckpointRequest.newBuilder().setProcessId("measured").build());
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.metricsPort() + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body())
                .contains("pm_processes_spawned_total{node=\"a\"} 1.0")
                .contains("pm_checkpoint_duration_seconds_count{node=\"a\"}")
                .contains("pm_scheduler_run_queue{node=\"a\"}")
                .containsPattern("pm_processes\\{node=\"a\",state=\"running\"\\} 1.0");
        stubA.kill(ref("measured"));
    }

    private String logsSoFar(NodeAgentGrpc.NodeAgentBlockingStub stub, String id, long[] end) {
        StringBuilder out = new StringBuilder();
        Iterator<pm.v1.LogChunk> it =
                stub.logs(pm.v1.LogsRequest.newBuilder().setProcessId(id).build());
        long at = 0;
        while (it.hasNext()) {
            pm.v1.LogChunk c = it.next();
            out.append(c.getData().toStringUtf8());
            at = c.getOffset() + c.getData().size();
        }
        end[0] = at;
        return out.toString();
    }

    private byte[] exportOf(NodeAgentGrpc.NodeAgentBlockingStub stub, String id, ProcessSpec spec) {
        spawn(stub, id, spec);
        stub.freeze(ref(id));
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        stub.exportImage(ExportRequest.newBuilder().setProcessId(id).build())
                .forEachRemaining(c -> image.writeBytes(c.getData().toByteArray()));
        return image.toByteArray();
    }

    private CompletableFuture<ProcessInfo> importImage(
            NodeAgentServer agent, String id, ProcessSpec spec, byte[] image) {
        CompletableFuture<ProcessInfo> done = new CompletableFuture<>();
        StreamObserver<ImageChunk> in = agents.asyncStub(agent).importImage(new StreamObserver<>() {
            @Override
            public void onNext(ProcessInfo value) {
                done.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
        });
        for (int at = 0; at < image.length; at += 1 << 20) {
            ImageChunk.Builder chunk = ImageChunk.newBuilder()
                    .setData(ByteString.copyFrom(image, at, Math.min(1 << 20, image.length - at)));
            if (at == 0) {
                chunk.setHeader(ImportHeader.newBuilder().setProcessId(id).setSpec(spec));
            }
            in.onNext(chunk.build());
        }
        in.onCompleted();
        return done;
    }

    @Test
    void aCpuQuotaInTheSpecHoldsTheProcessToItsRateHereAndAfterAMigration() throws Exception {
        long perSecond = 3_000_000;
        ProcessSpec spec = Agents.counter(Integer.MAX_VALUE, 2000, 1 << 20).toBuilder()
                .setLimits(ProcessLimits.newBuilder().setFuelPerSecond(perSecond))
                .build();
        long t0 = System.nanoTime();
        spawn(stubA, "limited", spec);
        Agents.awaitProgress(stubA, "limited", perSecond);
        long retired = stubA.get(ref("limited")).getInstructionsRetired();
        assertThat(retired).isLessThanOrEqualTo(allowed(perSecond, t0));

        stubA.migrateOut(MigrateRequest.newBuilder()
                .setProcessId("limited")
                .setTarget(b.address())
                .setCommit(true)
                .build());
        long t1 = System.nanoTime();
        long before = stubB.get(ref("limited")).getInstructionsRetired();
        Agents.awaitProgress(stubB, "limited", perSecond);
        long after = stubB.get(ref("limited")).getInstructionsRetired();
        assertThat(after - before).as("the quota came along with the spec").isLessThanOrEqualTo(allowed(perSecond, t1));
    }

    /**
     * What a quota lets run from {@code sinceNanos} until now: the bucket's tenth of a second, then the rate, and
     * a slice's rounding. A slow machine only makes it looser; an unlimited counter runs far past it.
     */
    private static long allowed(long perSecond, long sinceNanos) {
        return (long) (perSecond * ((System.nanoTime() - sinceNanos) / 1e9 + 0.1)) + 100_000;
    }
}
