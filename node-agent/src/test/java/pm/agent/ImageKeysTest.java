package pm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.agent.store.crypto.ClusterKeys;
import pm.v1.CheckpointRequest;
import pm.v1.LogsRequest;
import pm.v1.MigrateRequest;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;
import pm.v1.ResumeRequest;
import pm.v1.SpawnRequest;

/**
 * Agents with image keys: checkpoints, replicas, staging files and exports are sealed; a process
 * comes back whole under the same key (or an older key still in the file), and a sealed image that
 * was altered, or sealed under a key the agent lacks, is refused before any of its code runs.
 */
class ImageKeysTest {
    /** The counter guest fills its heap with 0x5a: a run of them is its memory, in plaintext. */
    private static final byte[] MEMORY_MARKER = filled(4096, (byte) 0x5a);
    /** Its /data/input file, which travels in the image. */
    private static final byte[] FILE_MARKER =
            "the quick brown fox\nthe quick brown fox\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private ClusterKeys keys(String name) {
        Path file = dir.resolve(name + ".keys");
        if (!Files.exists(file)) {
            ClusterKeys.generate(file);
        }
        return ClusterKeys.load(file);
    }

    private AgentConfig config(String node, ClusterKeys keys) {
        return AgentConfig.defaults(node, dir.resolve(node)).withImageKeys(keys);
    }

    private static ProcessRef ref(String id) {
        return ProcessRef.newBuilder().setProcessId(id).build();
    }

    /** The counter guest: its hash walk dirties only the first 4 KiB of its heap, so the rest stays a run of 0x5a. */
    private static ProcessSpec spec() throws IOException {
        return Agents.counter(600, 20_000, 256 << 10, 4096);
    }

    @Test
    void aCheckpointedProcessResumesAfterARestartUnderTheSameKeyAndItsStoreHoldsNoPlaintext() throws Exception {
        ProcessSpec spec = spec();
        String expected = Agents.reference(spec);
        ClusterKeys keys = keys("cluster");
        try (Agents agents = new Agents(dir)) {
            NodeAgentServer a = agents.start(config("a", keys));
            agents.stub(a)
                    .spawn(SpawnRequest.newBuilder()
                            .setProcessId("p")
                            .setSpec(spec)
                            .build());
            Agents.awaitProgress(agents.stub(a), "p", 5_000_000);
            agents.stub(a).freeze(ref("p"));
            agents.stub(a)
                    .checkpoint(CheckpointRequest.newBuilder().setProcessId("p").build());
            long[] end = new long[1];
            String before = logsSoFar(agents.stub(a), "p", end);
            a.close();

            for (Path f : files(dir.resolve("a/checkpoints"))) {
                byte[] bytes = Files.readAllBytes(f);
                assertThat(indexOf(bytes, MEMORY_MARKER))
                        .as("plaintext memory in %s", f)
                        .isNegative();
                assertThat(indexOf(bytes, FILE_MARKER))
                        .as("plaintext file contents in %s", f)
                        .isNegative();
            }

            NodeAgentServer again = agents.start(config("a", keys));
            assertThat(agents.stub(again).get(ref("p")).getState()).isEqualTo(ProcessState.PROCESS_STATE_FROZEN);
            agents.stub(again).thaw(ref("p"));
            assertThat(before + Agents.follow(agents.stub(again), "p", end[0], null))
                    .isEqualTo(expected);
        }
    }

    @Test
    void aCheckpointWithOneFlippedByteIsRefusedWithDataLossAndTheAgentServesTheOthers() throws Exception {
        ProcessSpec spec = spec();
        String expected = Agents.reference(spec);
        try (Agents agents = new Agents(dir)) {
            NodeAgentServer a = agents.start(config("a", keys("cluster")));
            var stub = agents.stub(a);
            stub.spawn(SpawnRequest.newBuilder()
                    .setProcessId("victim")
                    .setSpec(spec)
                    .build());
            Agents.awaitProgress(stub, "victim", 1_000_000);
            stub.suspend(ref("victim"));
            Path largest = largestChunk(dir.resolve("a/checkpoints/chunks"));
            flipByte(largest, Files.size(largest) / 2);
            stub.spawn(SpawnRequest.newBuilder()
                    .setProcessId("bystander")
                    .setSpec(spec)
                    .build());

            assertThatThrownBy(() -> stub.resume(
                            ResumeRequest.newBuilder().setProcessId("victim").build()))
                    .satisfies(e -> {
                        Status s = Status.fromThrowable(e);
                        assertThat(s.getCode()).isEqualTo(Status.Code.DATA_LOSS);
                        assertThat(s.getDescription()).contains("failed authentication");
                    });
            assertThat(stub.get(ref("victim")).getState())
                    .as("nothing of it ran")
                    .isEqualTo(ProcessState.PROCESS_STATE_SUSPENDED);
            assertThat(Agents.follow(stub, "bystander", 0, null)).isEqualTo(expected);
        }
    }

    @Test
    void anAgentGivenAnotherKeyFileRefusesNamingTheKeyAndTheRightFileStillReadsIt() throws Exception {
        ProcessSpec spec = spec();
        ClusterKeys right = keys("right");
        ClusterKeys wrong = keys("wrong");
        try (Agents agents = new Agents(dir)) {
            NodeAgentServer a = agents.start(config("a", right));
            agents.stub(a)
                    .spawn(SpawnRequest.newBuilder()
                            .setProcessId("p")
                            .setSpec(spec)
                            .build());
            Agents.awaitProgress(agents.stub(a), "p", 1_000_000);
            agents.stub(a).suspend(ref("p"));
            a.close();

            NodeAgentServer other = agents.start(config("a", wrong));
            assertThatThrownBy(() -> agents.stub(other)
                            .resume(ResumeRequest.newBuilder().setProcessId("p").build()))
                    .satisfies(e -> {
                        Status s = Status.fromThrowable(e);
                        assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                        assertThat(s.getDescription()).contains("image key '" + right.currentId() + "'");
                    });
            other.close();

            NodeAgentServer again = agents.start(config("a", right));
            assertThat(agents.stub(again)
                            .resume(ResumeRequest.newBuilder().setProcessId("p").build())
                            .getState())
                    .isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        }
    }

    @Test
    void afterARotationTheOldKeyStillReadsOldCheckpointsAndTheNewOneSealsNewOnes() throws Exception {
        ProcessSpec spec = spec();
        String expected = Agents.reference(spec);
        Path file = dir.resolve("cluster.keys");
        String old = ClusterKeys.generate(file);
        try (Agents agents = new Agents(dir)) {
            NodeAgentServer a = agents.start(config("a", ClusterKeys.load(file)));
            agents.stub(a)
                    .spawn(SpawnRequest.newBuilder()
                            .setProcessId("p")
                            .setSpec(spec)
                            .build());
            Agents.awaitProgress(agents.stub(a), "p", 1_000_000);
            agents.stub(a).freeze(ref("p"));
            long[] end = new long[1];
            String before = logsSoFar(agents.stub(a), "p", end);
            agents.stub(a).suspend(ref("p"));
            a.close();

            String current = ClusterKeys.rotate(file);
            ClusterKeys rotated = ClusterKeys.load(file);
            assertThat(rotated.ids()).containsExactly(current, old);
            NodeAgentServer again = agents.start(config("a", rotated));
            agents.stub(again)
                    .resume(ResumeRequest.newBuilder().setProcessId("p").build());
            agents.stub(again).freeze(ref("p"));
            // An increment: its base, sealed under the old key, stays in the chain beside it.
            agents.stub(again)
                    .checkpoint(CheckpointRequest.newBuilder()
                            .setProcessId("p")
                            .setIncremental(true)
                            .build());
            assertThat(keyIdsOfManifests(dir.resolve("a/checkpoints/processes")))
                    .contains(old, current);
            agents.stub(again).thaw(ref("p"));
            assertThat(before + Agents.follow(agents.stub(again), "p", end[0], null))
                    .isEqualTo(expected);
        }
    }

    @Test
    void aLiveMigrationBetweenAgentsWithKeysCarriesTheProcessOnExactly() throws Exception {
        ProcessSpec spec = Agents.counter(1500, 20_000, 512 << 10, 8 << 10);
        String expected = Agents.reference(spec);
        ClusterKeys keys = keys("cluster");
        try (Agents agents = new Agents(dir)) {
            NodeAgentServer a = agents.start(config("a", keys));
            NodeAgentServer b = agents.start(config("b", keys));
            agents.stub(a)
                    .spawn(SpawnRequest.newBuilder()
                            .setProcessId("p")
                            .setSpec(spec)
                            .build());
            Agents.awaitProgress(agents.stub(a), "p", 5_000_000);
            agents.stub(a).freeze(ref("p"));
            long[] end = new long[1];
            String before = logsSoFar(agents.stub(a), "p", end);
            agents.stub(a)
                    .migrateOut(MigrateRequest.newBuilder()
                            .setProcessId("p")
                            .setTarget(b.address())
                            .setCommit(true)
                            .build());
            agents.stub(b).thaw(ref("p"));
            assertThat(before + Agents.follow(agents.stub(b), "p", end[0], null))
                    .isEqualTo(expected);
        }
    }

    @Test
    void anExportedImageIsCiphertextAndImportsIntoAnAgentWithTheKey() throws Exception {
        ProcessSpec spec = spec();
        String expected = Agents.reference(spec);
        ClusterKeys keys = keys("cluster");
        try (Agents agents = new Agents(dir)) {
            NodeAgentServer plain = agents.start("plain");
            NodeAgentServer a = agents.start(config("a", keys));
            NodeAgentServer b = agents.start(config("b", keys));
            agents.stub(plain)
                    .spawn(SpawnRequest.newBuilder()
                            .setProcessId("p")
                            .setSpec(spec)
                            .build());
            Agents.awaitProgress(agents.stub(plain), "p", 1_000_000); // past its memset
            agents.stub(plain).freeze(ref("p"));
            byte[] plainImage = Agents.export(agents.stub(plain), "p");
            assertThat(indexOf(plainImage, MEMORY_MARKER))
                    .as("the markers are there to be found")
                    .isNotNegative();
            assertThat(indexOf(plainImage, FILE_MARKER)).isNotNegative();

            agents.stub(a)
                    .spawn(SpawnRequest.newBuilder()
                            .setProcessId("p")
                            .setSpec(spec)
                            .build());
            Agents.awaitProgress(agents.stub(a), "p", 1_000_000);
            agents.stub(a).freeze(ref("p"));
            long[] end = new long[1];
            String before = logsSoFar(agents.stub(a), "p", end);
            byte[] image = Agents.export(agents.stub(a), "p");
            assertThat(indexOf(image, MEMORY_MARKER))
                    .as("plaintext memory in the export")
                    .isNegative();
            assertThat(indexOf(image, FILE_MARKER))
                    .as("plaintext file contents in the export")
                    .isNegative();

            assertThat(agents.importImage(b, "p", spec, image)
                            .get(60, TimeUnit.SECONDS)
                            .getState())
                    .isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
            assertThat(before + Agents.follow(agents.stub(b), "p", 0, null)).isEqualTo(expected);
        }
    }

    @Test
    void anExportedImageWithAFlippedByteOrUnderAnotherKeyIsRefused() throws Exception {
        ProcessSpec spec = spec();
        try (Agents agents = new Agents(dir)) {
            ClusterKeys keys = keys("cluster");
            NodeAgentServer a = agents.start(config("a", keys));
            NodeAgentServer b = agents.start(config("b", keys));
            NodeAgentServer stranger = agents.start(config("c", keys("other")));
            NodeAgentServer plain = agents.start("plain");
            agents.stub(a)
                    .spawn(SpawnRequest.newBuilder()
                            .setProcessId("p")
                            .setSpec(spec)
                            .build());
            agents.stub(a).freeze(ref("p"));
            byte[] image = Agents.export(agents.stub(a), "p");

            for (int at : new int[] {30, image.length / 2, image.length - 3}) { // key id, a record, the last tag
                byte[] flipped = image.clone();
                flipped[at] ^= 1;
                assertRefused(agents, b, spec, flipped, Status.Code.DATA_LOSS, "");
            }
            assertRefused(agents, b, spec, Arrays.copyOf(image, image.length - 1000), Status.Code.DATA_LOSS, "");
            assertRefused(
                    agents,
                    stranger,
                    spec,
                    image,
                    Status.Code.FAILED_PRECONDITION,
                    "image key '" + keys.currentId() + "'");
            assertRefused(agents, plain, spec, image, Status.Code.FAILED_PRECONDITION, "no image keys");
            agents.stub(plain)
                    .spawn(SpawnRequest.newBuilder()
                            .setProcessId("q")
                            .setSpec(spec)
                            .build());
            agents.stub(plain).freeze(ref("q"));
            assertRefused(agents, b, spec, Agents.export(agents.stub(plain), "q"), Status.Code.DATA_LOSS, "not sealed");
            assertThat(agents.stub(b)
                            .list(pm.v1.ListRequest.getDefaultInstance())
                            .getProcessesCount())
                    .as("nothing refused was kept")
                    .isZero();
        }
    }

    private static void assertRefused(
            Agents agents, NodeAgentServer agent, ProcessSpec spec, byte[] image, Status.Code code, String message) {
        assertThatThrownBy(
                        () -> agents.importImage(agent, "imported", spec, image).get(60, TimeUnit.SECONDS))
                .satisfies(e -> {
                    Status s = Status.fromThrowable(e.getCause());
                    assertThat(s.getCode()).isEqualTo(code);
                    assertThat(s.getDescription()).contains(message);
                });
    }

    /** Everything the frozen process printed so far, and the offset after it. */
    private static String logsSoFar(pm.v1.NodeAgentGrpc.NodeAgentBlockingStub stub, String id, long[] end) {
        StringBuilder out = new StringBuilder();
        var it = stub.logs(LogsRequest.newBuilder().setProcessId(id).build());
        long at = 0;
        while (it.hasNext()) {
            var c = it.next();
            out.append(c.getData().toStringUtf8());
            at = c.getOffset() + c.getData().size();
        }
        end[0] = at;
        return out.toString();
    }

    private static List<String> keyIdsOfManifests(Path root) throws IOException {
        return files(root).stream()
                .filter(f -> f.toString().endsWith(".manifest"))
                .map(f -> {
                    try {
                        return pm.agent.store.crypto.Sealer.keyIdOf(Files.readAllBytes(f), f.toString());
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                })
                .toList();
    }

    private static List<Path> files(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    private static Path largestChunk(Path chunks) throws IOException {
        return files(chunks).stream()
                .max(Comparator.comparingLong(f -> f.toFile().length()))
                .orElseThrow();
    }

    private static void flipByte(Path file, long at) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int) at] ^= 1;
        Files.write(file, bytes);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] filled(int n, byte b) {
        byte[] bytes = new byte[n];
        Arrays.fill(bytes, b);
        return bytes;
    }
}
