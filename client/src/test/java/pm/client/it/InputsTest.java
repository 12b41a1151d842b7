package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import pm.client.ClusterClient;
import pm.client.ClusterClientException;
import pm.client.Input;
import pm.client.LimitExceededException;
import pm.client.TransferProgress;
import pm.client.testing.ClusterExtension;
import pm.client.testing.Logs;
import pm.client.testing.PmctlRunner;
import pm.client.testing.TestCluster;
import pm.v1.BlobRef;
import pm.v1.ClusterSpawnRequest;
import pm.v1.FileEntry;
import pm.v1.ProcessLimits;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;

/**
 * Inputs of any size: files and stdin larger than a ZooKeeper node can hold are uploaded to a node and
 * named by hash, fetched by whichever node runs the process; what cannot fit is refused before it runs,
 * leaving no record. The store guest ({@code node-agent/src/test/guest/store.c}) reads and writes /data.
 */
@ExtendWith(ClusterExtension.class)
class InputsTest {
    private static final Path STORE = Paths.get("..", "node-agent", "src", "test", "guest", "wasm", "store.wasm");

    @TempDir
    Path dir;

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static String fnv1a(byte[] bytes) {
        int h = 0x811c9dc5;
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * 16777619;
        }
        return String.format("%08x", h);
    }

    private static ProcessState awaitEnd(ClusterClient client, String id) {
        await().atMost(Duration.ofMinutes(3)).until(() -> client.get(id).getEndedMillis() > 0);
        return client.get(id).getState();
    }

    @Test
    void aFileLargerThanAZooKeeperNodeIsUploadedAndReadInFull(TestCluster cluster) throws Exception {
        byte[] big = random(3 << 20, 1);
        Path local = Files.write(dir.resolve("big.bin"), big);
        PmctlRunner pmctl = new PmctlRunner(cluster.coordinatorAddresses());

        PmctlRunner.Result run = pmctl.run(
                "run", STORE.toString(), "--id", "input-big", "--file", local + "=big.bin", "--", "-r", "big.bin");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        ClusterClient client = cluster.client();
        assertThat(awaitEnd(client, "input-big")).isEqualTo(ProcessState.PROCESS_STATE_EXITED);
        assertThat(Logs.stdout(client, "input-big"))
                .isEqualTo("read " + big.length + " bytes, fnv1a " + fnv1a(big) + "\n");
    }

    @Test
    void aLargeStdinIsStreamedFromTheNodeThatHoldsIt(TestCluster cluster) throws Exception {
        byte[] input = random(2 << 20, 2);
        Path local = Files.write(dir.resolve("stdin.bin"), input);
        ClusterClient client = cluster.client();
        long[] uploaded = new long[1];

        client.spawn(
                pm.client.SpawnOptions.builder(STORE)
                        .withProcessId("input-stdin")
                        .withArgs("copy.bin")
                        .withStdin(Input.of(local))
                        .build(),
                bytes -> uploaded[0] = bytes);

        assertThat(uploaded[0]).isEqualTo(input.length);
        assertThat(awaitEnd(client, "input-stdin")).isEqualTo(ProcessState.PROCESS_STATE_EXITED);
        assertThat(Logs.stdout(client, "input-stdin"))
                .isEqualTo("stored " + input.length + " bytes in /data/copy.bin\n");
    }

    @Test
    void inputsLargerThanTheFileSystemLimitAreRefusedUpFrontAndLeaveNoRecord(TestCluster cluster) throws Exception {
        ClusterClient client = cluster.client();
        BlobRef ref = client.putBlob(Input.of(random(2 << 20, 3)), TransferProgress.NONE);
        ProcessSpec spec = ProcessSpec.newBuilder()
                .setModule(ByteString.copyFrom(Files.readAllBytes(STORE)))
                .addArgs("store")
                .addArgs("-r")
                .addArgs("big.bin")
                .addFiles(FileEntry.newBuilder()
                        .setPath("big.bin")
                        .setSha256(ref.getSha256())
                        .setSize(ref.getSize()))
                .setLimits(ProcessLimits.newBuilder().setMaxFsBytes(1 << 20))
                .build();

        assertThatThrownBy(() -> client.spawn(ClusterSpawnRequest.newBuilder()
                        .setProcessId("input-too-big")
                        .setSpec(spec)
                        .build()))
                .isInstanceOf(LimitExceededException.class)
                .hasMessageContaining("LIMIT_EXCEEDED")
                .hasMessageContaining("2097152 bytes")
                .hasMessageContaining("1048576 bytes");
        assertThat(client.list()).noneMatch(p -> p.getProcessId().equals("input-too-big"));
    }

    @Test
    void largeInlineInputsAreRefusedBeforeTheyReachZooKeeper(TestCluster cluster) throws Exception {
        ClusterClient client = cluster.client();
        ProcessSpec spec = ProcessSpec.newBuilder()
                .setModule(ByteString.copyFrom(Files.readAllBytes(STORE)))
                .addArgs("store")
                .addArgs("x")
                .setStdin(ByteString.copyFrom(random(1_200_000, 4)))
                .build();

        assertThatThrownBy(() -> client.spawn(ClusterSpawnRequest.newBuilder()
                        .setProcessId("input-inline")
                        .setSpec(spec)
                        .build()))
                .isInstanceOf(ClusterClientException.class)
                .hasMessageContaining("INVALID_ARGUMENT")
                .hasMessageContaining("1200000 bytes");
        assertThat(client.list()).noneMatch(p -> p.getProcessId().equals("input-inline"));
        // and the coordinator keeps serving
        assertThat(client.nodes()).isNotEmpty();
    }

    @Test
    void anUploadWhoseHashIsNotTheDeclaredOneIsRefused(TestCluster cluster) {
        ClusterClient client = cluster.client();
        String coordinator = cluster.leader();
        var channel = io.grpc.ManagedChannelBuilder.forTarget(coordinator)
                .usePlaintext()
                .build();
        try {
            var stub = pm.v1.ClusterGrpc.newStub(channel);
            java.util.concurrent.CompletableFuture<BlobRef> reply = new java.util.concurrent.CompletableFuture<>();
            var up = stub.putBlob(new io.grpc.stub.StreamObserver<>() {
                @Override
                public void onNext(BlobRef value) {
                    reply.complete(value);
                }

                @Override
                public void onError(Throwable t) {
                    reply.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {}
            });
            up.onNext(pm.v1.BlobChunk.newBuilder()
                    .setHeader(BlobRef.newBuilder().setSize(4).setSha256(ByteString.copyFrom(new byte[32])))
                    .setData(ByteString.copyFromUtf8("abcd"))
                    .build());
            up.onCompleted();

            assertThatThrownBy(reply::join)
                    .hasRootCauseInstanceOf(io.grpc.StatusRuntimeException.class)
                    .rootCause()
                    .hasMessageStartingWith("INVALID_ARGUMENT")
                    .hasMessageContaining("not the");
        } finally {
            channel.shutdownNow();
        }
        assertThat(client.nodes()).isNotEmpty();
    }
}
