package pm.deploy.faults;

/**
 * One fault and what must hold after it. {@link #run} breaks the cluster, lets it recover and
 * checks the invariants; it returns a one-line account of what happened or throws
 * {@link ScenarioFailure} with the reason. It leaves the cluster whole (every agent and coordinator
 * running) for the next scenario.
 */
interface Scenario {
    String name();

    String run(FaultCluster cluster, CounterWorkload counter) throws Exception;
}
