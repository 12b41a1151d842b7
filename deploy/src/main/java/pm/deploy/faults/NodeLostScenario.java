package pm.deploy.faults;

import java.util.List;
import pm.v1.ClusterProcess;

/**
 * A node is lost for good: the counter runs on a1 with a checkpoint policy (checkpointed every
 * second and replicated), a1 is killed -9 and not restarted. After the recovery grace the
 * coordinator must restore the process on another node from its last durable checkpoint; the work
 * since that checkpoint is redone, so the output must still equal the reference. Then a1 comes back
 * and must not run its stale copy.
 */
final class NodeLostScenario implements Scenario {
    private static final String NODE = "a1";
    private static final long CHECKPOINT_MILLIS = 1_000;

    @Override
    public String name() {
        return "node lost for good (agent killed -9, not restarted): recovered from its last durable checkpoint";
    }

    @Override
    public String run(FaultCluster cluster, CounterWorkload counter) throws Exception {
        if (!cluster.recoveryProblem().isEmpty()) {
            throw new ScenarioFailure(cluster.recoveryProblem());
        }
        cluster.disarmAgents();
        String id = "p-node-lost";
        try (RunningSampler sampler = new RunningSampler(cluster.probe())) {
            Migrations.spawnUnderWay(cluster, counter, id, NODE, CHECKPOINT_MILLIS);
            ClusterProcess durable = ExactlyOnce.awaitDurableCheckpoint(cluster, id);
            cluster.step("durable checkpoint on " + durable.getCheckpointNodesList());
            cluster.agent(NODE).kill();
            Poll.until(
                    id + " to be recovered on another node",
                    ExactlyOnce.SETTLE,
                    () -> !ExactlyOnce.ownershipRecord(cluster, id).getNode().equals(NODE));
            String owner =
                    ExactlyOnce.awaitSettled(cluster, id); // the record moves first, then the new owner adopts it
            cluster.step("recovered on " + owner);
            ExactlyOnce.awaitExactOutput(cluster, id, owner, counter);
            cluster.restartAgent(NODE, List.of());
            String after = ExactlyOnce.awaitSettled(cluster, id);
            if (!after.equals(owner)) {
                throw new ScenarioFailure(
                        "after " + NODE + " came back, " + id + " settled on " + after + " instead of " + owner);
            }
            ExactlyOnce.requireNeverTwice(sampler);
            return "checkpoint " + durable.getLastCheckpointId() + " on " + durable.getCheckpointNodesList()
                    + "; recovered on " + owner + "; output exact; " + NODE + " came back without a second copy";
        } finally {
            ExactlyOnce.cleanUp(cluster, id);
            if (!cluster.agent(NODE).isAlive()) {
                cluster.restartAgent(NODE, List.of());
            }
        }
    }
}
