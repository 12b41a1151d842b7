package pm.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import pm.v1.ClusterGrpc;
import pm.v1.ClusterMigrateRequest;
import pm.v1.ClusterSpawnRequest;
import pm.v1.Placement;
import pm.v1.ProcessRef;

/** Refused requests say what was wrong with the right status, and change nothing in ZooKeeper. */
class ClusterErrorsTest {
    @TempDir
    Path dir;

    private ClusterFixture cluster;
    private ClusterGrpc.ClusterBlockingStub api;

    @BeforeEach
    void start() throws Exception {
        cluster = new ClusterFixture(dir).agents("a", "b", "c");
        cluster.coordinator("c1");
        api = cluster.cluster();
        api.spawn(ClusterApiTest.spawn("p1", "a"));
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    /** Runs {@code call}, expects {@code code} with a message containing {@code message}, and ZooKeeper as before. */
    private void refused(Status.Code code, String message, Executable call) throws Exception {
        Map<String, String> before = cluster.snapshot();
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> {
            try {
                call.execute();
            } catch (Throwable t) {
                throw t instanceof Exception x ? x : new RuntimeException(t);
            }
        });
        assertThat(e).as("refused").isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(code);
        assertThat(e.getStatus().getDescription()).contains(message).doesNotContain("\n");
        assertThat(cluster.snapshot()).isEqualTo(before);
    }

    private static ClusterMigrateRequest migrate(String id, String target) {
        return ClusterMigrateRequest.newBuilder()
                .setProcessId(id)
                .setTargetNode(target)
                .build();
    }

    @Test
    void anUnknownProcessIsNotFound() throws Exception {
        refused(
                Status.Code.NOT_FOUND,
                "no process p7",
                () -> api.get(ProcessRef.newBuilder().setProcessId("p7").build()));
        refused(Status.Code.NOT_FOUND, "no process p7", () -> api.migrate(migrate("p7", "b")));
        refused(
                Status.Code.NOT_FOUND,
                "no process p7",
                () -> api.kill(ProcessRef.newBuilder().setProcessId("p7").build()));
    }

    @Test
    void anUnknownNodeIsNotFound() throws Exception {
        refused(Status.Code.NOT_FOUND, "no node n9", () -> api.migrate(migrate("p1", "n9")));
        refused(Status.Code.NOT_FOUND, "no node n9", () -> api.spawn(ClusterApiTest.spawn("p2", "n9")));
    }

    @Test
    void migratingToTheCurrentOwnerIsAFailedPrecondition() throws Exception {
        refused(
                Status.Code.FAILED_PRECONDITION,
                "process p1 already runs on node a",
                () -> api.migrate(migrate("p1", "a")));
    }

    @Test
    void aDrainingTargetIsAFailedPrecondition() throws Exception {
        api.drain(pm.v1.DrainRequest.newBuilder().setNode("c").build());

        refused(Status.Code.FAILED_PRECONDITION, "node c is draining", () -> api.migrate(migrate("p1", "c")));
        refused(
                Status.Code.FAILED_PRECONDITION,
                "node c is draining",
                () -> api.spawn(ClusterApiTest.spawn("p2", "c")));
    }

    @Test
    void aModuleThatIsNotWebAssemblyIsAnInvalidArgument() throws Exception {
        var notWasm = ClusterApiTest.endless().toBuilder()
                .setModule(ByteString.copyFromUtf8("#!/bin/sh\necho hello\n"))
                .build();
        refused(
                Status.Code.INVALID_ARGUMENT,
                "not WebAssembly",
                () -> api.spawn(ClusterSpawnRequest.newBuilder()
                        .setProcessId("p2")
                        .setSpec(notWasm)
                        .build()));
        // wasm magic but a broken body: the agent refuses it, and the record written before the call goes again
        var broken = notWasm.toBuilder()
                .setModule(ByteString.copyFrom(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0, 42, 42}))
                .build();
        refused(
                Status.Code.INVALID_ARGUMENT,
                "node",
                () -> api.spawn(ClusterSpawnRequest.newBuilder()
                        .setProcessId("p3")
                        .setSpec(broken)
                        .build()));
    }

    @Test
    void aProcessThatFitsNowhereIsResourceExhausted() throws Exception {
        var huge = ClusterApiTest.endless().toBuilder()
                .setLimits(pm.v1.ProcessLimits.newBuilder().setMemoryPages(65536))
                .build(); // 4 GiB: more than any node offers
        refused(
                Status.Code.RESOURCE_EXHAUSTED,
                "no node has room",
                () -> api.spawn(ClusterSpawnRequest.newBuilder()
                        .setProcessId("p2")
                        .setSpec(huge)
                        .setPlacement(Placement.getDefaultInstance())
                        .build()));
    }

    @Test
    void aSecondSpawnOfTheSameIdIsAlreadyExists() throws Exception {
        refused(
                Status.Code.ALREADY_EXISTS,
                "process p1 already exists",
                () -> api.spawn(ClusterApiTest.spawn("p1", "b")));
    }
}
