package pm.deploy.faults;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import pm.client.SpawnOptions;
import pm.deploy.ChildJvm;
import pm.v1.CheckpointPolicy;
import pm.v1.ClusterSpawnRequest;
import pm.v1.LogChunk;
import pm.v1.ProcessInfo;
import pm.v1.ProcessState;

/**
 * Channel messages outlive the receiver's node: a producer on a2 streams numbered messages to a
 * consumer on a1, whose checkpoint interval never comes (the scenario takes its checkpoints). The
 * consumer is frozen until its inbox is full, checkpointed (durable: held by two nodes), thawed, and
 * a1 is killed -9 once it has accepted more messages than that checkpoint holds — messages a1 had
 * acknowledged as accepted, not as durable. The consumer is recovered on another node from the
 * checkpoint; the producer must send those messages again, and the consumer must print every
 * message once, in order. The producer cannot run further ahead of the durable checkpoint than its
 * outbox holds, so the consumer cannot end before the fault.
 */
final class ChannelReceiverLostScenario implements Scenario {
    private static final String RECEIVER_NODE = "a1";
    private static final String SENDER_NODE = "a2";
    private static final int MESSAGES = 20_000;
    /** pm.runtime.chan.Channels.MAX_INBOX_MESSAGES: a frozen receiver accepts this many, then no more. */
    private static final int INBOX_LIMIT = 4096;

    @Override
    public String name() {
        return "channel receiver's node lost (killed -9) holding messages accepted since its durable checkpoint";
    }

    @Override
    public String run(FaultCluster cluster, CounterWorkload counter) throws Exception {
        if (!cluster.recoveryProblem().isEmpty()) {
            throw new ScenarioFailure(cluster.recoveryProblem());
        }
        cluster.disarmAgents();
        String receiver = "p-chan-receiver";
        String sender = "p-chan-sender";
        ChildJvm receiverAgent = cluster.agent(RECEIVER_NODE);
        try (RunningSampler sampler = new RunningSampler(cluster.probe())) {
            cluster.client().spawn(spawn("consumer", receiver, RECEIVER_NODE, List.of(Integer.toString(MESSAGES), "0"), true));
            cluster.client().spawn(spawn("producer", sender, SENDER_NODE, List.of(Integer.toString(MESSAGES), receiver, "0"), false));
            Poll.until(receiver + " to accept messages", Migrations.PROGRESS, () -> accepted(cluster, receiverAgent, receiver) >= 100);

            cluster.client().freeze(receiver);
            Poll.until(receiver + "'s inbox to fill while it is frozen", Migrations.PROGRESS,
                    () -> info(cluster, receiverAgent, receiver).getInboxMessages() == INBOX_LIMIT);
            long atCheckpoint = accepted(cluster, receiverAgent, receiver);
            cluster.client().checkpoint(receiver, false);
            List<String> holders = ExactlyOnce.ownershipRecord(cluster, receiver).getCheckpointNodesList();
            if (holders.size() < 2) {
                throw new ScenarioFailure("the checkpoint of " + receiver + " is held by " + holders + " only");
            }
            cluster.client().thaw(receiver);
            Poll.until(receiver + " to accept messages past its checkpoint", Migrations.PROGRESS,
                    () -> accepted(cluster, receiverAgent, receiver) > atCheckpoint + 100);
            long atKill = accepted(cluster, receiverAgent, receiver);
            receiverAgent.kill();
            cluster.step(RECEIVER_NODE + " killed with " + (atKill - atCheckpoint) + " messages accepted since the checkpoint ("
                    + atCheckpoint + ")");

            Poll.until(receiver + " to be recovered on another node", ExactlyOnce.SETTLE,
                    () -> !ExactlyOnce.ownershipRecord(cluster, receiver).getNode().equals(RECEIVER_NODE));
            String owner = ExactlyOnce.awaitSettled(cluster, receiver);
            cluster.step("recovered on " + owner);
            // Each durable checkpoint lets the producer run further ahead.
            Poll.until(receiver + " to receive all " + MESSAGES + " messages", ExactlyOnce.FINISH.multipliedBy(2), () -> {
                try {
                    cluster.client().checkpoint(receiver, true);
                } catch (RuntimeException endedOrBusy) {
                    // ended meanwhile, or a policy checkpoint in the way: asked again at the next poll
                }
                return ExactlyOnce.ownershipRecord(cluster, receiver).getState() == ProcessState.PROCESS_STATE_EXITED;
            });
            requireOutput(cluster, receiver, expectedReceived(sender));
            Poll.until(sender + " to hear back", ExactlyOnce.FINISH,
                    () -> ExactlyOnce.ownershipRecord(cluster, sender).getState() == ProcessState.PROCESS_STATE_EXITED);
            String senderOut = stdout(cluster, sender);
            if (!senderOut.endsWith(": bye from " + receiver + "\n")) {
                throw new ScenarioFailure(sender + " printed " + senderOut.strip());
            }
            ExactlyOnce.requireNeverTwice(sampler);
            return (atKill - atCheckpoint) + " messages accepted past the durable checkpoint when " + RECEIVER_NODE
                    + " died; recovered on " + owner + "; all " + MESSAGES + " received once, in order";
        } finally {
            ExactlyOnce.cleanUp(cluster, receiver);
            ExactlyOnce.cleanUp(cluster, sender);
            if (!cluster.agent(RECEIVER_NODE).isAlive()) {
                cluster.restartAgent(RECEIVER_NODE, List.of());
            }
        }
    }

    private static ClusterSpawnRequest spawn(String guest, String id, String node, List<String> args, boolean checkpointed)
            throws IOException {
        ClusterSpawnRequest r = SpawnOptions.builder(module(guest), guest).withProcessId(id).withArgs(args).onNode(node, false)
                .build().toRequest();
        if (!checkpointed) {
            return r;
        }
        // An interval makes what it accepted durable only through its checkpoints; this one never comes.
        return r.toBuilder().setSpec(r.getSpec().toBuilder()
                .setCheckpointPolicy(CheckpointPolicy.newBuilder().setIntervalMillis(Duration.ofHours(1).toMillis()))).build();
    }

    private static byte[] module(String guest) throws IOException {
        try (InputStream in = ChannelReceiverLostScenario.class.getResourceAsStream("/" + guest + ".wasm")) {
            if (in == null) {
                throw new IOException(guest + ".wasm is not on the class path (node-agent/src/test/guest/wasm)");
            }
            return in.readAllBytes();
        }
    }

    private static ProcessInfo info(FaultCluster cluster, ChildJvm agent, String id) {
        return cluster.probe().find(agent, id).orElseThrow(() -> new ScenarioFailure(id + " is not on " + agent.name()));
    }

    private static long accepted(FaultCluster cluster, ChildJvm agent, String id) {
        return info(cluster, agent, id).getMessagesAccepted();
    }

    /** What the consumer prints having received every message of {@code sender} once, in order (its hash line follows). */
    private static String expectedReceived(String sender) {
        StringBuilder b = new StringBuilder("received:\n");
        for (int i = 1; i <= MESSAGES; i++) {
            b.append("msg ").append(i).append(" from ").append(sender).append('\n');
        }
        return b.append("end ").toString();
    }

    private static void requireOutput(FaultCluster cluster, String id, String expectedStart) {
        String out = stdout(cluster, id);
        if (!out.startsWith(expectedStart)) {
            int at = 0;
            while (at < Math.min(out.length(), expectedStart.length()) && out.charAt(at) == expectedStart.charAt(at)) {
                at++;
            }
            int lineStart = out.lastIndexOf('\n', Math.max(0, at - 1)) + 1;
            throw new ScenarioFailure(id + "'s output departs from every message once, in order, at: "
                    + out.substring(lineStart, Math.min(out.length(), lineStart + 60)).replace('\n', '|'));
        }
    }

    private static String stdout(FaultCluster cluster, String id) {
        StringBuilder out = new StringBuilder();
        cluster.client().logs(id, false, 0, (LogChunk c) -> {
            if (c.getStream() == LogChunk.Stream.STREAM_STDOUT) {
                out.append(c.getData().toString(StandardCharsets.UTF_8));
            }
        });
        return out.toString();
    }
}
