package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import pm.client.ClusterClient;
import pm.client.ErrorCode;
import pm.client.InvalidRequestException;
import pm.client.LimitExceededException;
import pm.client.NotFoundException;
import pm.client.SpawnOptions;
import pm.client.UnavailableException;
import pm.client.WrongStateException;
import pm.client.testing.ClusterExtension;
import pm.client.testing.Guests;
import pm.client.testing.Logs;
import pm.client.testing.TestCluster;

/** What the cluster's refusals look like through the SDK: a typed exception, a pm code and the server's line. */
@ExtendWith(ClusterExtension.class)
class ErrorsTest {
    private final TestCluster cluster;
    private final ClusterClient client;
    private final List<String> spawned = new ArrayList<>();

    ErrorsTest(TestCluster cluster) {
        this.cluster = cluster;
        this.client = cluster.client();
    }

    @AfterEach
    void killWhatTheTestSpawned() {
        for (String id : spawned) {
            try {
                client.kill(id);
            } catch (RuntimeException ignored) {
                // never started, or ended already
            }
        }
    }

    @Test
    void getOfAMissingProcessIsNotFound() {
        assertThatThrownBy(() -> client.get("errors-missing")).isInstanceOfSatisfying(NotFoundException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
            assertThat(e.description()).isEqualTo("no process errors-missing");
        });
    }

    @Test
    void aPlainLogReadWhoseOwnerDoesNotAnswerIsUnavailableNotEmpty() throws Exception {
        cluster.addAgent("errors-lost");
        try {
            spawned.add("errors-orphan");
            client.spawn(Guests.longRunning("errors-orphan")
                    .onNode("errors-lost", false)
                    .build());
            Logs.awaitTick(client, "errors-orphan", 1);
            cluster.killAgent("errors-lost"); // its record names it until its session expires

            assertThatThrownBy(() -> client.logs("errors-orphan", chunk -> {}))
                    .isInstanceOfSatisfying(UnavailableException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
                        assertThat(e.description()).startsWith("node errors-lost: ");
                    });
        } finally {
            cluster.removeAgent("errors-lost");
        }
    }

    @Test
    void resumeOfARunningProcessIsWrongState() {
        spawned.add("errors-running");
        client.spawn(Guests.longRunning("errors-running").build());
        Logs.awaitTick(client, "errors-running", 1);

        assertThatThrownBy(() -> client.resume("errors-running"))
                .isInstanceOfSatisfying(WrongStateException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.WRONG_STATE);
                    assertThat(e.description()).contains("errors-running", "not suspended");
                });
    }

    @Test
    void spawnOfSomethingThatIsNotWebAssemblyIsAnInvalidRequest() {
        spawned.add("errors-not-wasm");
        SpawnOptions notWasm = SpawnOptions.builder("#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), "script")
                .withProcessId("errors-not-wasm")
                .build();

        assertThatThrownBy(() -> client.spawn(notWasm)).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(e.description()).contains("not WebAssembly");
        });
    }

    @Test
    void spawnWhereNoNodeQualifiesIsLimitExceeded() {
        spawned.add("errors-no-node");
        SpawnOptions nowhere = Guests.longRunning("errors-no-node")
                .withNodeLabel("errors-test", "no-node-has-this")
                .build();

        assertThatThrownBy(() -> client.spawn(nowhere)).isInstanceOfSatisfying(LimitExceededException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED);
            assertThat(e.description()).contains("no-node-has-this");
        });
    }
}
