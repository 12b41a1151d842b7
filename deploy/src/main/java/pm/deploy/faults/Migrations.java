package pm.deploy.faults;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import pm.client.ClusterClient;
import pm.v1.ProcessInfo;
import pm.v1.ProcessState;

/** Steps the migration scenarios share: a counter started and under way, and a migration whose caller may see it break. */
final class Migrations {
    static final Duration PROGRESS = Duration.ofSeconds(60);
    /** Instructions the counter runs before anything is done to it, so no step starts from its beginning. */
    private static final long WARM_INSTRUCTIONS = 2_000_000;

    private Migrations() {}

    /** Spawns the counter as {@code id} on {@code node} and waits until it is well under way there. */
    static void spawnUnderWay(
            FaultCluster cluster, CounterWorkload counter, String id, String node, long checkpointMillis)
            throws InterruptedException {
        cluster.client().spawn(counter.spawn(id, node, checkpointMillis));
        awaitInstructions(cluster, id, node, WARM_INSTRUCTIONS);
    }

    /**
     * Waits until {@code id} has run {@code more} instructions more on {@code node}; fails at once if it
     * ended first (then the counter is too short for this machine: the fault would miss it).
     */
    static void awaitInstructions(FaultCluster cluster, String id, String node, long more) throws InterruptedException {
        long from = running(cluster, id, node).getInstructionsRetired();
        Poll.until(
                id + " to make progress on " + node,
                PROGRESS,
                () -> running(cluster, id, node).getInstructionsRetired() >= from + more);
    }

    private static ProcessInfo running(FaultCluster cluster, String id, String node) {
        ProcessInfo p = cluster.probe()
                .find(cluster.agent(node), id)
                .orElseThrow(() -> new ScenarioFailure(id + " is not on " + node));
        if (p.getState() == ProcessState.PROCESS_STATE_EXITED || p.getState() == ProcessState.PROCESS_STATE_FAILED) {
            throw new ScenarioFailure(id + " ended (" + p.getState() + ") on " + node
                    + " before the fault: the counter is too short" + " for this machine's speed");
        }
        return p;
    }

    /**
     * Asks the leader to migrate {@code id} to {@code target}; returns "committed" or the error the
     * caller saw (a fault breaks the call: what matters is what survives it). Bounded in time.
     */
    static String migrate(ClusterClient client, String id, String target) throws InterruptedException {
        return outcome(migrateAsync(client, id, target), id);
    }

    /** As {@link #migrate}, returning at once: the call goes on in the background while the scenario breaks something. */
    static CompletableFuture<String> migrateAsync(ClusterClient client, String id, String target) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                client.migrate(id, target);
                return "committed";
            } catch (RuntimeException e) {
                return "failed: " + e.getMessage();
            }
        });
    }

    /** What a migration call of {@code id} returned, waiting for it up to 120 s. */
    static String outcome(CompletableFuture<String> call, String id) throws InterruptedException {
        try {
            return call.get(120, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return "failed: " + e.getCause().getMessage();
        } catch (TimeoutException e) {
            throw new ScenarioFailure("the migration of " + id + " did not return within 120 s");
        }
    }

    /** Thaws {@code id}; false while the cluster refuses (a migration still being settled, or not adopted yet). */
    static boolean thawed(FaultCluster cluster, String id) {
        try {
            cluster.client().thaw(id);
            return true;
        } catch (RuntimeException notYet) {
            return false;
        }
    }
}
