package pm.deploy.faults;

import java.time.Duration;
import java.util.Optional;
import pm.client.SpawnOptions;
import pm.deploy.ChildJvm;
import pm.deploy.DemoGuest;
import pm.v1.ProcessInfo;

/**
 * The agent running a process (the demo guest, one step every 20 ms, far more steps than the
 * scenario waits for; checkpointed every second and replicated) is stopped whole (SIGSTOP) past its
 * session timeout and the recovery grace: the coordinator recovers the process on another node from
 * its last durable checkpoint, and the new copy runs on. Then the old agent is continued (SIGCONT).
 * Until ZooKeeper tells it its session is gone, it must not run a single slice of its stale copy (its
 * ownership lease ran out while it was stopped): the copy's instruction count stands still until the
 * agent drops it, the sampler never sees two copies run, and the output stays the uninterrupted
 * run's, step by step.
 */
final class PausedPastGraceScenario implements Scenario {
    private static final String NODE = "a3";
    private static final int STEPS = 1_000_000;
    private static final int WORK = 20_000;

    @Override
    public String name() {
        return "agent paused (SIGSTOP) past its session and the recovery grace, recovered elsewhere, then continued";
    }

    @Override
    public String run(FaultCluster cluster, CounterWorkload counter) throws Exception {
        if (!cluster.recoveryProblem().isEmpty()) {
            throw new ScenarioFailure(cluster.recoveryProblem());
        }
        cluster.disarmAgents();
        String id = "p-paused-past-grace";
        try (RunningSampler sampler = new RunningSampler(cluster.probe())) {
            cluster.client()
                    .spawn(SpawnOptions.builder(DemoGuest.module(), "demo")
                            .withProcessId(id)
                            .withArgs(Integer.toString(STEPS), "20", Integer.toString(WORK))
                            .onNode(NODE, false)
                            .checkpointEvery(Duration.ofSeconds(1))
                            .build());
            int seen = DemoSteps.await(cluster, id, 5, STEPS, WORK);
            ExactlyOnce.awaitDurableCheckpoint(cluster, id);
            ChildJvm agent = cluster.agent(NODE);
            String owner;
            Signals.stop(agent.pid());
            try {
                owner = Poll.value(id + " to be recovered on another node", ExactlyOnce.SETTLE, () -> {
                    String now = ExactlyOnce.ownershipRecord(cluster, id).getNode();
                    return now.equals(NODE) ? Optional.empty() : Optional.of(now);
                });
                seen = DemoSteps.await(cluster, id, seen + 5, STEPS, WORK); // the new copy runs on
                cluster.step("recovered on " + owner + " and running there");
            } finally {
                Signals.resume(agent.pid());
            }
            awaitDroppedStandingStill(cluster, agent, id);
            cluster.step(NODE + " continued and dropped its copy without running it");
            Poll.until(NODE + " to register again", FaultCluster.JOIN, () -> cluster.nodeListed(NODE));
            String settled = ExactlyOnce.awaitSettled(cluster, id);
            if (!settled.equals(owner)) {
                throw new ScenarioFailure(
                        id + " settled on " + settled + " after " + NODE + " came back, expected " + owner);
            }
            int steps = DemoSteps.await(cluster, id, seen + 5, STEPS, WORK);
            ExactlyOnce.requireNeverTwice(sampler);
            return NODE + " stopped past its session and the grace; recovered on " + owner + "; " + NODE
                    + " continued without running its stale copy and dropped it; " + steps + " steps, each once";
        } finally {
            ExactlyOnce.cleanUp(cluster, id);
        }
    }

    /** Polls the continued agent until it has dropped its copy; fails if the copy's instruction count moves meanwhile. */
    private static void awaitDroppedStandingStill(FaultCluster cluster, ChildJvm agent, String id)
            throws InterruptedException {
        long[] seen = {-1};
        Poll.until(NODE + " to drop its stale copy without running it", ExactlyOnce.SETTLE, () -> {
            Optional<ProcessInfo> stale;
            try {
                stale = cluster.probe().find(agent, id);
            } catch (io.grpc.StatusRuntimeException notAnsweringYet) {
                return false;
            }
            if (stale.isEmpty()) {
                return true;
            }
            long now = stale.get().getInstructionsRetired();
            if (seen[0] >= 0 && now != seen[0]) {
                throw new ScenarioFailure(NODE + " ran its stale copy of " + id + " after it was continued: " + seen[0]
                        + " -> " + now + " instructions");
            }
            seen[0] = now;
            return false;
        });
    }
}
