package pm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.v1.MigrateRequest;
import pm.v1.NodeAgentGrpc;
import pm.v1.ProcessInfo;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;
import pm.v1.SpawnRequest;

/**
 * Channels between processes on real agents over loopback: a producer sends numbered messages to
 * a consumer, which prints all it received and replies; while either or both move between three
 * agents, the consumer receives exactly 1..N, in order, once each.
 */
class ChannelTest {
    private static final Path GUESTS = Paths.get("src", "test", "guest", "wasm");
    private static final int N = 150;

    @TempDir
    Path dir;

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    private static ProcessSpec producer(int n, String to, int spin) throws IOException {
        return producer(n, to, spin, 0);
    }

    /** Sends n messages to {@code to}, with {@code spin} hash steps and a sleep of {@code pauseMicros} before each. */
    private static ProcessSpec producer(int n, String to, int spin, int pauseMicros) throws IOException {
        return ProcessSpec.newBuilder()
                .setModule(ByteString.copyFrom(Files.readAllBytes(GUESTS.resolve("producer.wasm"))))
                .addArgs("producer")
                .addArgs(Integer.toString(n))
                .addArgs(to)
                .addArgs(Integer.toString(spin))
                .addArgs(Integer.toString(pauseMicros))
                .build();
    }

    private static ProcessSpec consumer(int n, int spin) throws IOException {
        return ProcessSpec.newBuilder()
                .setModule(ByteString.copyFrom(Files.readAllBytes(GUESTS.resolve("consumer.wasm"))))
                .addArgs("consumer")
                .addArgs(Integer.toString(n))
                .addArgs(Integer.toString(spin))
                .build();
    }

    /** What the consumer prints having received messages 1..n from {@code from}, up to its closing line. */
    private static String received(int n, String from) {
        StringBuilder b = new StringBuilder("received:\n");
        for (int i = 1; i <= n; i++) {
            b.append("msg ").append(i).append(" from ").append(from).append('\n');
        }
        return b.append("end ").toString();
    }

    /** Three agents that know each other as channel peers. */
    private static List<NodeAgentServer> cluster(Agents agents) throws IOException {
        List<NodeAgentServer> nodes = List.of(agents.start("a"), agents.start("b"), agents.start("c"));
        List<String> addresses = nodes.stream().map(NodeAgentServer::address).toList();
        nodes.forEach(n -> n.channelPeers(addresses));
        return nodes;
    }

    private static void spawn(Agents agents, NodeAgentServer node, String id, ProcessSpec spec) {
        agents.stub(node)
                .spawn(SpawnRequest.newBuilder().setProcessId(id).setSpec(spec).build());
    }

    /** A process's whole stdout, gathered across the agents it ran on, and how many times it moved. */
    private record Roamed(String stdout, int moves) {}

    /**
     * Moves process {@code id} from node {@code start} round the nodes up to {@code hops} times (a
     * standalone migration each, once it has made some progress), following its output on every
     * agent it runs on; returns all its stdout once it has ended.
     */
    private Future<Roamed> roam(Agents agents, List<NodeAgentServer> nodes, String id, int start, int hops) {
        return threads.submit(() -> {
            StringBuilder seen = new StringBuilder();
            long offset = 0;
            int at = start;
            for (int left = hops; ; left--) {
                NodeAgentGrpc.NodeAgentBlockingStub here = agents.stub(nodes.get(at));
                var logStub = agents.stub(nodes.get(at));
                long from = offset;
                Future<Object[]> log = threads.submit(() -> {
                    long[] end = new long[1];
                    String text = Agents.follow(logStub, id, from, end);
                    return new Object[] {text, end[0]};
                });
                int next = (at + 1) % nodes.size();
                boolean moved = left > 0 && progressedOrEnded(here, id, 30_000) && migrated(here, id, nodes.get(next));
                Object[] part = log.get(120, TimeUnit.SECONDS);
                seen.append((String) part[0]);
                offset = (Long) part[1];
                if (!moved) {
                    return new Roamed(seen.toString(), hops - left);
                }
                at = next;
            }
        });
    }

    /** Waits until the process ran {@code instructions} more; false if it ended first. */
    private static boolean progressedOrEnded(NodeAgentGrpc.NodeAgentBlockingStub agent, String id, long instructions)
            throws InterruptedException {
        ProcessRef ref = ProcessRef.newBuilder().setProcessId(id).build();
        long target = agent.get(ref).getInstructionsRetired() + instructions;
        ProcessInfo info = await("process " + id + " made progress or ended")
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(2))
                .until(() -> agent.get(ref), i -> ended(i) || i.getInstructionsRetired() >= target);
        return !ended(info);
    }

    private static boolean ended(ProcessInfo info) {
        return info.getState() == ProcessState.PROCESS_STATE_EXITED
                || info.getState() == ProcessState.PROCESS_STATE_FAILED;
    }

    /** A standalone migration; false if the process ended before it could move. */
    private static boolean migrated(NodeAgentGrpc.NodeAgentBlockingStub from, String id, NodeAgentServer to) {
        try {
            assertThat(from.migrateOut(MigrateRequest.newBuilder()
                                    .setProcessId(id)
                                    .setTarget(to.address())
                                    .setCommit(true)
                                    .build())
                            .getCommitted())
                    .isTrue();
            return true;
        } catch (StatusRuntimeException e) {
            // Refused as EXITED, or it exited while the migration was freezing it ("cannot freeze: the process has
            // ended").
            String message = e.getMessage().toLowerCase(java.util.Locale.ROOT);
            if (message.contains("exited") || message.contains("ended")) {
                return false;
            }
            throw e;
        }
    }

    private void stream(int consumerHops, int producerHops) throws Exception {
        try (Agents agents = new Agents(dir)) {
            List<NodeAgentServer> nodes = cluster(agents);
            spawn(agents, nodes.get(1), "cons", consumer(N, 2_000));
            // Paced (10 ms sleeps) so that the stream lasts well beyond the moves on any machine.
            spawn(agents, nodes.get(0), "prod", producer(N, "cons", 20_000, 10_000));
            Future<Roamed> consumed = roam(agents, nodes, "cons", 1, consumerHops);
            Future<Roamed> produced = roam(agents, nodes, "prod", 0, producerHops);

            Roamed c = consumed.get(180, TimeUnit.SECONDS);
            Roamed p = produced.get(60, TimeUnit.SECONDS);
            assertThat(c.stdout()).startsWith(received(N, "prod"));
            assertThat(p.stdout()).endsWith(": bye from cons\n");
            // The moves must happen mid-stream, or the test shows nothing about migration.
            assertThat(c.moves()).as("consumer moves").isGreaterThanOrEqualTo(Math.min(consumerHops, 3));
            assertThat(p.moves()).as("producer moves").isGreaterThanOrEqualTo(Math.min(producerHops, 3));
            System.out.println("moves: consumer " + c.moves() + "/" + consumerHops + ", producer " + p.moves() + "/"
                    + producerHops);
        }
    }

    @Test
    void everyMessageArrivesOnceInOrderBetweenAgents() throws Exception {
        stream(0, 0);
    }

    @Test
    void everyMessageArrivesOnceInOrderWhileTheReceiverMoves() throws Exception {
        stream(6, 0);
    }

    @Test
    void everyMessageArrivesOnceInOrderWhileTheSenderMoves() throws Exception {
        stream(0, 6);
    }

    @Test
    void everyMessageArrivesOnceInOrderWhileBothMove() throws Exception {
        stream(5, 5);
    }

    @Test
    void aMessageToAProcessThatDoesNotExistYetWaitsAndIsDeliveredOnceItDoes() throws Exception {
        try (Agents agents = new Agents(dir)) {
            List<NodeAgentServer> nodes = cluster(agents);
            spawn(agents, nodes.get(0), "early", producer(3, "late", 0));
            Future<Roamed> produced = roam(agents, nodes, "early", 0, 0);
            awaitIdle(agents.stub(nodes.get(0)), List.of("early")); // all three sent, now waiting for the reply

            spawn(agents, nodes.get(2), "late", consumer(3, 0));
            assertThat(roam(agents, nodes, "late", 2, 0)
                            .get(60, TimeUnit.SECONDS)
                            .stdout())
                    .startsWith(received(3, "early"));
            assertThat(produced.get(60, TimeUnit.SECONDS).stdout()).endsWith(": bye from late\n");
        }
    }

    @Test
    void aHundredBlockedReceiversHoldNoWorkerAndEachCanStillBeWoken() throws Exception {
        try (Agents agents = new Agents(dir)) {
            NodeAgentServer node = agents.start(
                    AgentConfig.defaults("solo", dir.resolve("solo")).withWorkers(2));
            NodeAgentGrpc.NodeAgentBlockingStub stub = agents.stub(node);
            List<String> receivers = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                receivers.add("r" + i);
                spawn(agents, node, "r" + i, consumer(1, 0));
            }
            awaitIdle(stub, receivers);

            spawn(agents, node, "busy", Agents.counter(20, 5_000, 64 << 10));
            awaitEnd(stub, "busy");
            assertThat(stub.get(ProcessRef.newBuilder().setProcessId("busy").build())
                            .getExitStatus())
                    .isZero();

            spawn(agents, node, "waker", producer(1, "r42", 0));
            awaitEnd(stub, "r42");
            awaitEnd(stub, "waker");
            assertThat(Agents.follow(stub, "r42", 0, null)).startsWith(received(1, "waker"));
            assertThat(stub.get(ProcessRef.newBuilder().setProcessId("r41").build())
                            .getState())
                    .isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        }
    }

    @Test
    void messagesToAProcessThatHasEndedAreDroppedNotKeptForever() throws Exception {
        try (Agents agents = new Agents(dir)) {
            List<NodeAgentServer> nodes = cluster(agents);
            spawn(agents, nodes.get(1), "brief", consumer(1, 0)); // takes one message, replies, ends
            spawn(agents, nodes.get(0), "talker", producer(50, "brief", 0));
            awaitEnd(agents.stub(nodes.get(1)), "brief");
            awaitEnd(agents.stub(nodes.get(0)), "talker");

            ProcessRef talker = ProcessRef.newBuilder().setProcessId("talker").build();
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> agents.stub(nodes.get(0)).get(talker).getOutboxMessages() == 0);
            assertThat(Agents.follow(agents.stub(nodes.get(0)), "talker", 0, new long[1]))
                    .endsWith(": bye from brief\n");
        }
    }

    /** Waits until the processes stop retiring instructions (they are parked in a receive). */
    private static void awaitIdle(NodeAgentGrpc.NodeAgentBlockingStub agent, List<String> ids)
            throws InterruptedException {
        AtomicReference<List<Long>> last = new AtomicReference<>(List.of());
        await("processes " + ids + " came to rest")
                .atMost(Duration.ofMinutes(2))
                // a window: "no instruction for 50 ms" is what parked looks like from outside
                .pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    List<Long> now = new ArrayList<>();
                    for (String id : ids) {
                        now.add(agent.get(
                                        ProcessRef.newBuilder().setProcessId(id).build())
                                .getInstructionsRetired());
                    }
                    boolean resting = now.equals(last.get()) && now.stream().allMatch(n -> n > 0);
                    last.set(now);
                    return resting;
                });
    }

    private static void awaitEnd(NodeAgentGrpc.NodeAgentBlockingStub agent, String id) throws InterruptedException {
        ProcessRef ref = ProcessRef.newBuilder().setProcessId(id).build();
        await().atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(5))
                .untilAsserted(() -> assertThat(agent.get(ref))
                        .as("process " + id + " ended")
                        .extracting(ProcessInfo::getState)
                        .isEqualTo(ProcessState.PROCESS_STATE_EXITED));
    }
}
