package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import pm.client.ClusterClient;
import pm.client.SpawnOptions;
import pm.client.WrongStateException;
import pm.client.testing.ClusterExtension;
import pm.client.testing.Logs;
import pm.client.testing.TestCluster;

/**
 * Channels through the real cluster: a producer streams numbered messages to a consumer while the
 * coordinator moves both between agents; the agents route each message to wherever its receiver
 * runs now (through the ownership records), and the consumer gets every message exactly once, in
 * order, and its reply reaches the producer.
 */
@ExtendWith(ClusterExtension.class)
class ChannelsAcrossMigrationsTest {
    private static final Path GUESTS = Paths.get("..", "node-agent", "src", "test", "guest", "wasm");
    private static final int MESSAGES = 100;

    private final TestCluster cluster;
    private final ClusterClient client;

    ChannelsAcrossMigrationsTest(TestCluster cluster) {
        this.cluster = cluster;
        this.client = cluster.client();
    }

    @Test
    void messagesArriveOnceInOrderWhileSenderAndReceiverMigrate() throws Exception {
        List<String> nodes = cluster.activeNodes();
        client.spawn(SpawnOptions.builder(GUESTS.resolve("consumer.wasm"))
                .withProcessId("chan-cons")
                .withArgs(Integer.toString(MESSAGES), "0")
                .onNode(nodes.get(0), false)
                .build());
        CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> Logs.followToEnd(client, "chan-cons"));
        // 50 ms between messages: the stream lasts while the moves happen, on any machine.
        client.spawn(SpawnOptions.builder(GUESTS.resolve("producer.wasm"))
                .withProcessId("chan-prod")
                .withArgs(Integer.toString(MESSAGES), "chan-cons", "0", "50000")
                .onNode(nodes.get(1), false)
                .build());
        CompletableFuture<String> sent = CompletableFuture.supplyAsync(() -> Logs.followToEnd(client, "chan-prod"));

        int moves = 0;
        for (int hop = 0; hop < 6 && !received.isDone(); hop++) {
            String id = hop % 2 == 0 ? "chan-cons" : "chan-prod";
            String owner = client.get(id).getNode();
            String next = nodes.get((nodes.indexOf(owner) + 1) % nodes.size());
            try {
                client.migrate(id, next);
                moves++;
            } catch (WrongStateException e) {
                // It ended between the check and the move: the stream is over.
                break;
            }
        }

        StringBuilder expected = new StringBuilder("received:\n");
        for (int i = 1; i <= MESSAGES; i++) {
            expected.append("msg ").append(i).append(" from chan-prod\n");
        }
        assertThat(received.get(3, TimeUnit.MINUTES))
                .startsWith(expected.append("end ").toString());
        assertThat(sent.get(3, TimeUnit.MINUTES)).endsWith(": bye from chan-cons\n");
        assertThat(moves).as("moves made while the stream ran").isGreaterThanOrEqualTo(3);
    }
}
