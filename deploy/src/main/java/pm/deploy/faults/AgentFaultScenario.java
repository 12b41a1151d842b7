package pm.deploy.faults;

import java.util.List;
import pm.deploy.ChildJvm;

/**
 * An agent armed with a fault point ({@code source.*} or {@code target.*}) halts as by kill -9 in
 * that phase of a coordinator-driven migration of the counter from a1 to a2, and is restarted on
 * its data directory. The process must end up exactly once: on the source if the agent died before
 * the commit point, on the target after it, and finish with the reference output. To spare JVM
 * starts, the dead agent may come back armed with the next scenario's fault point ({@code thenArm}):
 * a point that only a later migration reaches.
 */
final class AgentFaultScenario implements Scenario {
    private static final String SOURCE = "a1";
    private static final String TARGET = "a2";

    private final String point;
    private final String thenArm;

    /** {@code thenArm}: the fault point the dead agent is restarted with (empty: none). */
    AgentFaultScenario(String point, String thenArm) {
        this.point = point;
        this.thenArm = thenArm;
    }

    @Override
    public String name() {
        return "agent " + point + ": " + (point.startsWith("source") ? "source" : "target") + " killed -9";
    }

    @Override
    public String run(FaultCluster cluster, CounterWorkload counter) throws Exception {
        String dying = point.startsWith("source") ? SOURCE : TARGET;
        String expectedOwner = point.endsWith("after-commit") ? TARGET : SOURCE;
        String id = "p-" + point.replace('.', '-');
        cluster.disarmAgents(dying);
        List<String> arming = List.of("--fault-point", point);
        ChildJvm armed =
                cluster.agentArgs(dying).equals(arming) ? cluster.agent(dying) : cluster.restartAgent(dying, arming);
        cluster.step("armed " + dying);
        try (RunningSampler sampler = new RunningSampler(cluster.probe())) {
            Migrations.spawnUnderWay(cluster, counter, id, SOURCE, 0);
            cluster.step("spawned and under way on " + SOURCE);
            cluster.client().checkpoint(id); // what a restarted source goes back to
            Migrations.awaitInstructions(cluster, id, SOURCE, 500_000);
            cluster.step("checkpointed, running on");
            String call = Migrations.migrate(cluster.client(), id, TARGET);
            cluster.step("migration " + call.split("\n")[0]);
            if (!armed.awaitExit(60)) {
                throw new ScenarioFailure(dying + " did not halt at " + point + " (migration " + call + ")");
            }
            long diedAt = System.nanoTime();
            cluster.restartAgent(dying, thenArm.isEmpty() ? List.of() : List.of("--fault-point", thenArm));
            long awayMillis = (System.nanoTime() - diedAt) / 1_000_000;
            cluster.step("restarted " + dying);
            String owner = ExactlyOnce.awaitSettled(cluster, id);
            cluster.step("settled on " + owner);
            // Away past its session and the grace, the node counts as lost: recovery may rightly move the process.
            boolean mayHaveMoved = !owner.equals(dying)
                    && awayMillis > FaultCluster.AGENT_SESSION_MILLIS + FaultCluster.RECOVERY_GRACE_MILLIS;
            if (!owner.equals(expectedOwner) && !mayHaveMoved) {
                throw new ScenarioFailure(id + " settled on " + owner + ", expected the "
                        + (expectedOwner.equals(SOURCE) ? "source " : "target ") + expectedOwner + " (" + dying
                        + " was away " + awayMillis + " ms)");
            }
            String where = owner.equals(expectedOwner)
                    ? "exactly once on " + owner
                    : "exactly once on " + owner + " (recovered there: " + dying + " was away " + awayMillis + " ms)";
            ExactlyOnce.awaitExactOutput(cluster, id, owner, counter);
            ExactlyOnce.requireNeverTwice(sampler);
            return "migration " + call.split("\n")[0] + "; " + dying + " restarted; " + where + ", output exact ("
                    + sampler.rounds() + " samples)";
        } finally {
            ExactlyOnce.cleanUp(cluster, id);
        }
    }
}
