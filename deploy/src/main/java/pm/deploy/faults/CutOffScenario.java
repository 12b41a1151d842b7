package pm.deploy.faults;

import java.time.Duration;
import java.util.List;
import pm.client.CheckpointOptions;
import pm.deploy.ChildJvm;
import pm.testsupport.TcpProxy;

/**
 * The agent running the counter reaches ZooKeeper through a relay in this JVM, and the relay is
 * cut while the agent keeps running (its gRPC service answers throughout). The agent must freeze
 * the process at once (it no longer knows whether it owns it) and keep it frozen while its session
 * expires; once the relay heals it re-registers, verifies ownership and thaws: exactly once, exact
 * output. The agent is restarted on a direct connection afterwards. With a checkpoint policy the
 * leader goes on asking the cut-off agent (its gRPC service answers) for checkpoints until its
 * session expires (and a call in flight may arrive later): a checkpoint must not let the fenced process run.
 */
final class CutOffScenario implements Scenario {
    private static final String NODE = "a3";
    private static final int STILL_POLLS = 10;

    private final long checkpointMillis;

    /** {@code checkpointMillis}: the process's checkpoint interval, 0 for none. */
    CutOffScenario(long checkpointMillis) {
        this.checkpointMillis = checkpointMillis;
    }

    @Override
    public String name() {
        return "agent cut off from ZooKeeper while running (relay cut past the session timeout, then healed)"
                + (checkpointMillis > 0
                        ? " with checkpoints every " + checkpointMillis + " ms asked of it meanwhile"
                        : "");
    }

    @Override
    public String run(FaultCluster cluster, CounterWorkload counter) throws Exception {
        cluster.disarmAgents();
        String id = checkpointMillis > 0 ? "p-cut-off-checkpointed" : "p-cut-off";
        int checkpointed = 0;
        try (TcpProxy relay = new TcpProxy(cluster.local().zookeeperAddress());
                RunningSampler sampler = new RunningSampler(cluster.probe())) {
            ChildJvm agent = cluster.restartAgent(NODE, List.of(), relay.address());
            Migrations.spawnUnderWay(cluster, counter, id, NODE, checkpointMillis);
            cluster.step("under way on " + NODE + " behind the relay");
            relay.cut();
            try {
                awaitStandingStill(cluster, id, agent);
                cluster.step("cut; " + NODE + " fenced it");
                if (checkpointMillis > 0) {
                    checkpointed = checkpointWhileFenced(cluster, id, agent);
                    cluster.step("2 checkpoints of the fenced process taken, " + checkpointed + " through the leader");
                    awaitStandingStill(cluster, id, agent); // the checkpoints did not let it run
                }
                Poll.until(
                        "the coordinators to see " + NODE + "'s session expire",
                        Duration.ofSeconds(60),
                        () -> !cluster.nodeListed(NODE));
                cluster.step("session expired");
                awaitStandingStill(cluster, id, agent); // still fenced after the expiry, and still answering
            } finally {
                relay.heal();
            }
            Poll.until(NODE + " to register again", FaultCluster.JOIN, () -> cluster.nodeListed(NODE));
            cluster.step("healed; " + NODE + " registered again");
            String owner = ExactlyOnce.awaitSettled(cluster, id);
            ExactlyOnce.awaitExactOutput(cluster, id, owner, counter);
            ExactlyOnce.requireNeverTwice(sampler);
            return NODE + " froze it while cut off and answered throughout"
                    + (checkpointMillis > 0
                            ? ", 2 checkpoints (" + checkpointed + " through the leader) taken meanwhile kept it frozen"
                            : "")
                    + "; rejoined; exactly once on " + owner + ", output exact";
        } finally {
            ExactlyOnce.cleanUp(cluster, id);
            cluster.restartAgent(NODE, List.of());
        }
    }

    /**
     * Has the fenced {@code id} checkpointed twice: through the leader (which reaches the cut-off agent,
     * still answering) while the coordinators list the node, as a checkpoint policy would; once they have
     * dropped it (its session expired first on a slow machine), straight at the agent, as a leader's call
     * still in flight arrives. The agent stays fenced either way, so the fault fires at any load. Returns
     * how many were taken through the leader.
     */
    private static int checkpointWhileFenced(FaultCluster cluster, String id, ChildJvm agent)
            throws InterruptedException {
        int[] viaLeader = {0};
        int[] taken = {0};
        Poll.until("checkpoints of the fenced " + id, Duration.ofSeconds(60), () -> {
            try {
                if (cluster.nodeListed(NODE)) {
                    cluster.client().checkpoint(id, CheckpointOptions.incremental());
                    viaLeader[0]++;
                } else {
                    cluster.probe().checkpoint(agent, id);
                }
                taken[0]++;
            } catch (RuntimeException e) {
                // the leader or the agent refused this one (the node just went, say): ask again
            }
            return taken[0] >= 2;
        });
        return viaLeader[0];
    }

    /** Waits until the agent (answering) reports the same instruction count {@code STILL_POLLS} polls in a row. */
    private static void awaitStandingStill(FaultCluster cluster, String id, ChildJvm agent)
            throws InterruptedException {
        long[] last = {-1};
        int[] still = {0};
        Poll.until(NODE + " to fence " + id + " (instructions standing still)", Duration.ofMinutes(2), () -> {
            long now = cluster.probe()
                    .find(agent, id)
                    .map(pm.v1.ProcessInfo::getInstructionsRetired)
                    .orElseThrow(() -> new ScenarioFailure(id + " disappeared from " + NODE + " while it was cut off"));
            still[0] = now == last[0] ? still[0] + 1 : 0;
            last[0] = now;
            return still[0] >= STILL_POLLS;
        });
    }
}
