package pm.deploy.faults;

import pm.deploy.ChildJvm;

/**
 * The coordinator leader halts as by kill -9 once a migration's journal reaches a phase
 * ({@code coordinator.started}: nothing moved yet; {@code coordinator.committed}: the record names
 * the target, the agents were not told). The standby takes over and settles the journal: rolled
 * back onto the source, or finished on the target. The dead coordinator is started again plain.
 * The counter is frozen before the migration and thawed once the journal is settled: a process
 * that ran to its end first (a slow machine) would leave the fault unfired.
 */
final class CoordinatorFaultScenario implements Scenario {
    private static final String SOURCE = "a2";
    private static final String TARGET = "a3";

    private final String point;

    CoordinatorFaultScenario(String point) {
        this.point = point;
    }

    @Override
    public String name() {
        return "coordinator leader killed -9 at " + point;
    }

    @Override
    public String run(FaultCluster cluster, CounterWorkload counter) throws Exception {
        String expectedOwner = point.endsWith("committed") ? TARGET : SOURCE;
        cluster.disarmAgents();
        String id = "p-" + point.replace('.', '-');
        ChildJvm armed = cluster.armLeader(point);
        cluster.step("armed leader " + armed.name());
        try (RunningSampler sampler = new RunningSampler(cluster.probe())) {
            Migrations.spawnUnderWay(cluster, counter, id, SOURCE, 0);
            cluster.step("spawned and under way on " + SOURCE);
            cluster.client().freeze(id);
            String call = Migrations.migrate(cluster.client(), id, TARGET);
            if (!armed.awaitExit(60)) {
                throw new ScenarioFailure(
                        "leader " + armed.name() + " did not halt at " + point + " (migration " + call + ")");
            }
            cluster.step("leader halted; migration " + call.split("\n")[0]);
            ChildJvm successor = cluster.awaitLeader();
            cluster.step(successor.name() + " leads");
            Poll.until(
                    id + " held by its record's owner alone, and thawed",
                    ExactlyOnce.SETTLE,
                    () -> heldByOwnerAlone(cluster, id) && Migrations.thawed(cluster, id));
            String owner = ExactlyOnce.awaitSettled(cluster, id);
            cluster.step("settled on " + owner);
            if (!owner.equals(expectedOwner)) {
                throw new ScenarioFailure(id + " settled on " + owner + " after " + successor.name()
                        + " took over, expected " + expectedOwner);
            }
            cluster.startCoordinator(armed.name(), java.util.List.of());
            ExactlyOnce.awaitExactOutput(cluster, id, owner, counter);
            ExactlyOnce.requireNeverTwice(sampler);
            return armed.name() + " halted, " + successor.name() + " took over and settled it on " + owner
                    + "; output exact";
        } finally {
            ExactlyOnce.cleanUp(cluster, id);
        }
    }

    /** Only the node the record names lists a copy (frozen, as the scenario left it): the journal is settled. */
    private static boolean heldByOwnerAlone(FaultCluster cluster, String id) {
        String owner = ExactlyOnce.ownershipRecord(cluster, id).getNode();
        return cluster.probe().snapshot(5_000).entrySet().stream()
                .allMatch(agent ->
                        agent.getKey().equals(owner) == agent.getValue().containsKey(id));
    }
}
