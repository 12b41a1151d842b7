package pm.deploy.faults;

import java.time.Duration;
import java.util.List;
import pm.client.CheckpointOptions;
import pm.deploy.ChildJvm;
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
            // An interval makes what it accepted durable only through its checkpoints; this one never comes.
            cluster.client().spawn(ChannelWorkload.consumer(receiver, RECEIVER_NODE, Duration.ofHours(1)));
            cluster.client().spawn(ChannelWorkload.producer(sender, SENDER_NODE, receiver, null));
            Poll.until(
                    receiver + " to accept messages",
                    Migrations.PROGRESS,
                    () -> accepted(cluster, receiverAgent, receiver) >= 100);

            cluster.client().freeze(receiver);
            Poll.until(
                    receiver + "'s inbox to fill while it is frozen",
                    Migrations.PROGRESS,
                    () -> ChannelWorkload.info(cluster, receiverAgent, receiver).getInboxMessages()
                            == ChannelWorkload.INBOX_LIMIT);
            long atCheckpoint = accepted(cluster, receiverAgent, receiver);
            cluster.client().checkpoint(receiver);
            ExactlyOnce.awaitDurableCheckpoint(cluster, receiver);
            cluster.client().thaw(receiver);
            Poll.until(
                    receiver + " to accept messages past its checkpoint",
                    Migrations.PROGRESS,
                    () -> accepted(cluster, receiverAgent, receiver) > atCheckpoint + 100);
            long atKill = accepted(cluster, receiverAgent, receiver);
            receiverAgent.kill();
            cluster.step(RECEIVER_NODE + " killed with " + (atKill - atCheckpoint)
                    + " messages accepted since the checkpoint (" + atCheckpoint + ")");

            Poll.until(
                    receiver + " to be recovered on another node",
                    ExactlyOnce.SETTLE,
                    () -> !ExactlyOnce.ownershipRecord(cluster, receiver)
                            .getNode()
                            .equals(RECEIVER_NODE));
            String owner = ExactlyOnce.awaitSettled(cluster, receiver);
            cluster.step("recovered on " + owner);
            // Each durable checkpoint lets the producer run further ahead.
            Poll.until(
                    receiver + " to receive all " + ChannelWorkload.MESSAGES + " messages",
                    ExactlyOnce.FINISH.multipliedBy(2),
                    () -> {
                        try {
                            cluster.client().checkpoint(receiver, CheckpointOptions.incremental());
                        } catch (RuntimeException endedOrBusy) {
                            // ended meanwhile, or a policy checkpoint in the way: asked again at the next poll
                        }
                        return ExactlyOnce.ownershipRecord(cluster, receiver).getState()
                                == ProcessState.PROCESS_STATE_EXITED;
                    });
            Poll.until(
                    sender + " to hear back",
                    ExactlyOnce.FINISH,
                    () -> ExactlyOnce.ownershipRecord(cluster, sender).getState() == ProcessState.PROCESS_STATE_EXITED);
            ChannelWorkload.requireEveryMessageOnce(cluster, receiver, sender);
            ExactlyOnce.requireNeverTwice(sampler);
            return (atKill - atCheckpoint) + " messages accepted past the durable checkpoint when " + RECEIVER_NODE
                    + " died; recovered on " + owner + "; all " + ChannelWorkload.MESSAGES + " received once, in order";
        } finally {
            ExactlyOnce.cleanUp(cluster, receiver);
            ExactlyOnce.cleanUp(cluster, sender);
            if (!cluster.agent(RECEIVER_NODE).isAlive()) {
                cluster.restartAgent(RECEIVER_NODE, List.of());
            }
        }
    }

    private static long accepted(FaultCluster cluster, ChildJvm agent, String id) {
        return ChannelWorkload.info(cluster, agent, id).getMessagesAccepted();
    }
}
