package pm.deploy.faults;

import java.time.Duration;
import pm.deploy.ChildJvm;

/**
 * The agent running the counter is stopped whole (SIGSTOP) until ZooKeeper expires its session and
 * the coordinators see the node gone, then continued (SIGCONT) before the recovery grace ends. It
 * must find its session lost, fence its process, re-register, verify it still owns it and go on:
 * exactly once, exact output.
 */
final class SessionExpiryScenario implements Scenario {
    private static final String NODE = "a3";

    @Override
    public String name() {
        return "agent ZooKeeper session expiry (SIGSTOP past the session timeout, then SIGCONT)";
    }

    @Override
    public String run(FaultCluster cluster, CounterWorkload counter) throws Exception {
        cluster.disarmAgents();
        String id = "p-session-expiry";
        try (RunningSampler sampler = new RunningSampler(cluster.probe())) {
            Migrations.spawnUnderWay(cluster, counter, id, NODE, 0);
            ChildJvm agent = cluster.agent(NODE);
            long stoppedAt = System.nanoTime();
            Signals.stop(agent.pid());
            try {
                Poll.until(
                        "the coordinators to see " + NODE + "'s session expire",
                        Duration.ofSeconds(60),
                        () -> !cluster.nodeListed(NODE));
            } finally {
                Signals.resume(agent.pid());
            }
            long stoppedMillis = (System.nanoTime() - stoppedAt) / 1_000_000;
            cluster.step(NODE + " expired and continued");
            Poll.until(NODE + " to register again", FaultCluster.JOIN, () -> cluster.nodeListed(NODE));
            cluster.step(NODE + " registered again");
            String owner = ExactlyOnce.awaitSettled(cluster, id);
            ExactlyOnce.awaitExactOutput(cluster, id, owner, counter);
            ExactlyOnce.requireNeverTwice(sampler);
            return NODE + " stopped " + stoppedMillis + " ms (session " + FaultCluster.AGENT_SESSION_MILLIS
                    + " ms), rejoined; exactly once on " + owner + ", output exact";
        } finally {
            ExactlyOnce.cleanUp(cluster, id);
        }
    }
}
