package pm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.v1.BlobRef;
import pm.v1.CheckpointRequest;
import pm.v1.FileEntry;
import pm.v1.FileRef;
import pm.v1.NodeAgentGrpc;
import pm.v1.ProcessLimits;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;
import pm.v1.SpawnRequest;
import pm.v1.WriteFileRequest;

/**
 * Stored inputs go when nothing names them: what a failed spawn or an unused upload left is swept, what a
 * process (running, checkpointed, ended) reads — given at spawn or copied in later — stays, also across a
 * restart, until the process is removed. Real agent, real gRPC, the store guest.
 */
class UnusedInputsTest {
    @TempDir
    Path dir;

    private Agents agents;
    private NodeAgentServer server;
    private NodeAgentGrpc.NodeAgentBlockingStub agent;

    @BeforeEach
    void start() throws Exception {
        agents = new Agents(dir);
        startAgent();
    }

    private void startAgent() throws Exception {
        server = agents.start(AgentConfig.defaults("a", dir.resolve("a")).withInputGrace(Duration.ZERO));
        agent = agents.stub(server);
    }

    @AfterEach
    void stop() {
        agents.close();
    }

    @Test
    void whatNoProcessNamesIsSweptAndWhatOneReadsStaysUntilItIsRemoved() throws Exception {
        BlobRef given = put("given at spawn\n");
        spawn("reader", store("-w", "go.txt").addFiles(file("given.txt", given)));
        BlobRef failed = put("the input of a spawn that fails\n");
        assertThatThrownBy(() -> spawn(
                        "too-big",
                        store("-r", "in.txt")
                                .addFiles(file("in.txt", failed))
                                .setLimits(ProcessLimits.newBuilder().setMaxFsBytes(8))))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
        BlobRef unused = put("uploaded, never named\n");
        BlobRef copied = put("copied in while it waits\n");
        agent.writeFile(WriteFileRequest.newBuilder()
                .setProcessId("reader")
                .setPath("copied.txt")
                .setContents(copied)
                .build());
        BlobRef endedInput = put("read by a process that ended\n");
        spawn("ended", store("-r", "in.txt").addFiles(file("in.txt", endedInput)));
        awaitEnd("ended");

        server.sweepInputs();

        assertThat(held(failed)).as("a failed spawn's input").isFalse();
        assertThat(held(unused)).as("an upload nothing named").isFalse();
        assertThat(held(given)).as("a running process's input").isTrue();
        assertThat(held(copied)).as("a file copied into a running process").isTrue();
        assertThat(held(endedInput)).as("an ended process's file").isTrue();

        // Its checkpoint names the copied file: after a restart it is read from the store, as before.
        agent.checkpoint(CheckpointRequest.newBuilder().setProcessId("reader").build());
        agents.close();
        agents = new Agents(dir);
        startAgent();
        server.sweepInputs();
        assertThat(held(given)).isTrue();
        assertThat(held(copied)).isTrue();
        assertThat(held(endedInput)).isTrue();
        assertThat(read("reader", "copied.txt")).isEqualTo("copied in while it waits\n");
        assertThat(read("ended", "in.txt")).isEqualTo("read by a process that ended\n");

        agent.kill(ProcessRef.newBuilder().setProcessId("reader").build());
        agent.kill(ProcessRef.newBuilder().setProcessId("ended").build());
        server.sweepInputs();
        assertThat(held(given)).as("removed with its process").isFalse();
        assertThat(held(copied)).isFalse();
        assertThat(held(endedInput)).isFalse();
    }

    @Test
    void aFailedSpawnsModuleIsSweptAndModulesInUseStay() throws Exception {
        spawn("waiter", store("-w", "go.txt"));
        byte[] counter = Agents.counterWasm();
        assertThatThrownBy(() -> spawn(
                        "too-big",
                        Agents.counter(1, 1, 16).toBuilder()
                                .addFiles(FileEntry.newBuilder()
                                        .setPath("x")
                                        .setContents(ByteString.copyFromUtf8("more than eight bytes")))
                                .setLimits(ProcessLimits.newBuilder().setMaxFsBytes(8))))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
        assertThat(hasModule(counter)).as("stored before the spawn failed").isTrue();

        server.sweepInputs();

        assertThat(hasModule(counter)).as("the module of a failed spawn").isFalse();
        assertThat(hasModule(Agents.guest("store")))
                .as("a running process's module")
                .isTrue();
        spawn("again", Agents.counter(1, 1, 16).toBuilder()); // sent again with the spawn, stored again
        assertThat(hasModule(counter)).isTrue();
    }

    private boolean hasModule(byte[] module) throws Exception {
        byte[] sha = java.security.MessageDigest.getInstance("SHA-256").digest(module);
        try {
            agent.getModule(pm.v1.ModuleRef.newBuilder()
                    .setSha256(ByteString.copyFrom(sha))
                    .build());
            return true;
        } catch (StatusRuntimeException e) {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
            return false;
        }
    }

    @Test
    void anUnusedInputStaysForTheGracePeriod() throws Exception {
        agents.close();
        agents = new Agents(dir);
        server = agents.start(AgentConfig.defaults("a", dir.resolve("a")).withInputGrace(Duration.ofHours(1)));
        agent = agents.stub(server);
        BlobRef waiting = put("its spawn has not come yet\n");
        assertThatThrownBy(() -> spawn(
                        "too-big",
                        Agents.counter(1, 1, 16).toBuilder()
                                .addFiles(FileEntry.newBuilder()
                                        .setPath("x")
                                        .setContents(ByteString.copyFromUtf8("more than eight bytes")))
                                .setLimits(ProcessLimits.newBuilder().setMaxFsBytes(8))))
                .isInstanceOf(StatusRuntimeException.class);

        server.sweepInputs();

        assertThat(held(waiting)).isTrue();
        assertThat(hasModule(Agents.counterWasm()))
                .as("a module stored within the grace")
                .isTrue();
    }

    private boolean held(BlobRef ref) {
        return Files.exists(dir.resolve("a")
                .resolve("inputs")
                .resolve(HexFormat.of().formatHex(ref.getSha256().toByteArray())));
    }

    private String read(String id, String path) {
        StringBuilder out = new StringBuilder();
        agent.readFile(FileRef.newBuilder().setProcessId(id).setPath(path).build())
                .forEachRemaining(c -> out.append(c.getData().toStringUtf8()));
        return out.toString();
    }

    private void spawn(String id, ProcessSpec.Builder spec) {
        agent.spawn(SpawnRequest.newBuilder().setProcessId(id).setSpec(spec).build());
    }

    private void awaitEnd(String id) {
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofMinutes(2))
                .until(() -> agent.get(ProcessRef.newBuilder().setProcessId(id).build())
                                .getState()
                        == ProcessState.PROCESS_STATE_EXITED);
    }

    private static ProcessSpec.Builder store(String... args) throws Exception {
        ProcessSpec.Builder spec = ProcessSpec.newBuilder()
                .setModule(ByteString.copyFrom(Agents.guest("store")))
                .addArgs("store");
        for (String a : args) {
            spec.addArgs(a);
        }
        return spec;
    }

    private static FileEntry file(String path, BlobRef ref) {
        return FileEntry.newBuilder()
                .setPath(path)
                .setSha256(ref.getSha256())
                .setSize(ref.getSize())
                .build();
    }

    private BlobRef put(String text) throws Exception {
        return Agents.putBlob(agents.asyncStub(server), text.getBytes(StandardCharsets.UTF_8));
    }
}
