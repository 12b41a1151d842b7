package pm.deploy.faults;

import java.util.List;
import pm.deploy.ChildJvm;

/**
 * An agent armed with a fault point ({@code source.*} or {@code target.*}) halts as by kill -9 in
 * that phase of a coordinator-driven migration of the counter from a1 to a2, and is restarted on
 * its data directory. The process must end up exactly once: on the source if the agent died before
 * the commit point, on the target after it, and finish with the reference output.
 */
final class AgentFaultScenario implements Scenario {
    private static final String SOURCE = "a1";
    private static final String TARGET = "a2";

    private final String point;

    AgentFaultScenario(String point) {
        this.point = point;
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
        ChildJvm armed = cluster.restartAgent(dying, List.of("--fault-point", point));
        try (RunningSampler sampler = new RunningSampler(cluster.probe())) {
            Migrations.spawnUnderWay(cluster, counter, id, SOURCE, 0);
            cluster.client().checkpoint(id, false); // what a restarted source goes back to
            Migrations.awaitInstructions(cluster, id, SOURCE, 1_000_000);
            String call = Migrations.migrate(cluster.client(), id, TARGET);
            if (!armed.awaitExit(60)) {
                throw new ScenarioFailure(dying + " did not halt at " + point + " (migration " + call + ")");
            }
            cluster.restartAgent(dying, List.of());
            String owner = ExactlyOnce.awaitSettled(cluster, id);
            if (!owner.equals(expectedOwner)) {
                throw new ScenarioFailure(id + " settled on " + owner + ", expected the " + (expectedOwner.equals(SOURCE) ? "source " : "target ")
                        + expectedOwner);
            }
            ExactlyOnce.awaitExactOutput(cluster, id, owner, counter);
            ExactlyOnce.requireNeverTwice(sampler);
            return "migration " + call.split("\n")[0] + "; " + dying + " restarted; exactly once on " + owner
                    + ", output exact (" + sampler.rounds() + " samples)";
        } finally {
            ExactlyOnce.cleanUp(cluster, id);
        }
    }
}
