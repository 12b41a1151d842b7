package pm.deploy.faults;

import java.time.Duration;
import java.util.List;
import pm.deploy.ChildJvm;
import pm.v1.ProcessState;

/**
 * Channel messages from a sender whose node is lost: a producer on a1 (with a checkpoint policy)
 * streams to a consumer on a2, which is frozen so that its inbox and then the producer's outbox fill
 * and the producer waits in its send, alive whatever this machine's speed. The producer is
 * checkpointed (durable), the consumer thawed until it has accepted more than that checkpoint saw
 * acknowledged, and a1 is killed -9. The producer is recovered elsewhere from its checkpoint under a
 * new epoch and sends again from there; the consumer must keep the first copy of each message it
 * has and print every message once, in order.
 */
final class ChannelSenderLostScenario implements Scenario {
    private static final String SENDER_NODE = "a1";
    private static final String RECEIVER_NODE = "a2";

    @Override
    public String name() {
        return "channel sender's node lost (killed -9): recovered from an older checkpoint, it sends again what the receiver has";
    }

    @Override
    public String run(FaultCluster cluster, CounterWorkload counter) throws Exception {
        if (!cluster.recoveryProblem().isEmpty()) {
            throw new ScenarioFailure(cluster.recoveryProblem());
        }
        cluster.disarmAgents();
        String receiver = "p-chan-consumer";
        String sender = "p-chan-producer";
        ChildJvm senderAgent = cluster.agent(SENDER_NODE);
        ChildJvm receiverAgent = cluster.agent(RECEIVER_NODE);
        try (RunningSampler sampler = new RunningSampler(cluster.probe())) {
            cluster.client().spawn(ChannelWorkload.consumer(receiver, RECEIVER_NODE, null));
            cluster.client().freeze(receiver);
            // The policy's interval never comes here: the scenario takes the checkpoint that matters.
            cluster.client().spawn(ChannelWorkload.producer(sender, SENDER_NODE, receiver, Duration.ofHours(1)));
            Poll.until(
                    sender + "'s outbox to fill while " + receiver + " is frozen",
                    Migrations.PROGRESS,
                    () -> ChannelWorkload.info(cluster, senderAgent, sender).getOutboxMessages()
                            == ChannelWorkload.OUTBOX_LIMIT);
            long atCheckpoint =
                    ChannelWorkload.info(cluster, receiverAgent, receiver).getMessagesAccepted();
            cluster.client().checkpoint(sender);
            ExactlyOnce.awaitDurableCheckpoint(cluster, sender);
            cluster.client().thaw(receiver);
            Poll.until(
                    receiver + " to accept messages past " + sender + "'s checkpoint",
                    Migrations.PROGRESS,
                    () -> ChannelWorkload.info(cluster, receiverAgent, receiver).getMessagesAccepted()
                            > atCheckpoint + 100);
            senderAgent.kill();
            long atKill = ChannelWorkload.info(cluster, receiverAgent, receiver).getMessagesAccepted();
            cluster.step(SENDER_NODE + " killed; " + receiver + " had accepted " + atCheckpoint + " at the checkpoint, "
                    + atKill + " now");

            Poll.until(
                    sender + " to be recovered on another node",
                    ExactlyOnce.SETTLE,
                    () -> !ExactlyOnce.ownershipRecord(cluster, sender)
                            .getNode()
                            .equals(SENDER_NODE));
            String owner = ExactlyOnce.awaitSettled(cluster, sender);
            cluster.step("recovered on " + owner);
            Poll.until(
                    receiver + " and " + sender + " to end",
                    ExactlyOnce.FINISH.multipliedBy(2),
                    () -> ExactlyOnce.ownershipRecord(cluster, receiver).getState() == ProcessState.PROCESS_STATE_EXITED
                            && ExactlyOnce.ownershipRecord(cluster, sender).getState()
                                    == ProcessState.PROCESS_STATE_EXITED);
            ChannelWorkload.requireEveryMessageOnce(cluster, receiver, sender);
            ExactlyOnce.requireNeverTwice(sampler);
            return sender + " recovered on " + owner + " from a checkpoint " + (atKill - atCheckpoint)
                    + " messages behind what " + receiver + " had; all " + ChannelWorkload.MESSAGES
                    + " received once, in order";
        } finally {
            ExactlyOnce.cleanUp(cluster, receiver);
            ExactlyOnce.cleanUp(cluster, sender);
            if (!cluster.agent(SENDER_NODE).isAlive()) {
                cluster.restartAgent(SENDER_NODE, List.of());
            }
        }
    }
}
