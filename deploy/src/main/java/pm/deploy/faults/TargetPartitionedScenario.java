package pm.deploy.faults;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import pm.deploy.LocalCluster;

/**
 * The migration target is partitioned from every other party's gRPC at a chosen moment of a
 * migration a1 → a2: a2 advertises a relay in this JVM (what the coordinators and a1 dial; its own
 * ZooKeeper connection is direct), and the agent armed with {@code hold:POINT} waits at that point
 * until the relay is cut, then goes on. Before the commit point the migration must abort and the
 * process go on at the source; after it, the process runs on the target. Either way exactly once,
 * output exact. The counter is frozen before the migration and thawed once it is settled, so it is
 * alive when the fault fires. Both agents are started again plain afterwards.
 */
final class TargetPartitionedScenario implements Scenario {
    private static final String SOURCE = "a1";
    private static final String TARGET = "a2";

    private final String point;

    /** {@code point}: a fault point ({@code source.*} held by the source, {@code target.*} by the target). */
    TargetPartitionedScenario(String point) {
        this.point = point;
    }

    @Override
    public String name() {
        return "migration target partitioned from gRPC at " + point;
    }

    @Override
    public String run(FaultCluster cluster, CounterWorkload counter) throws Exception {
        cluster.disarmAgents();
        String id = "p-partitioned-" + point.replace('.', '-');
        String holder = point.startsWith("source.") ? SOURCE : TARGET;
        String expectedOwner = point.endsWith("after-commit") ? TARGET : SOURCE;
        Path held = cluster.local().agentDataDir(holder).resolve("fault-held");
        Path released = cluster.local().agentDataDir(holder).resolve("fault-released");
        Files.deleteIfExists(held);
        Files.deleteIfExists(released);
        int port = LocalCluster.freePort();
        TcpProxy relay = new TcpProxy("127.0.0.1:" + port);
        try (RunningSampler sampler = new RunningSampler(cluster.probe())) {
            List<String> targetArgs = new ArrayList<>(List.of("--port", Integer.toString(port), "--advertise", relay.address()));
            if (holder.equals(TARGET)) {
                targetArgs.addAll(List.of("--fault-point", "hold:" + point));
            } else {
                cluster.restartAgent(SOURCE, List.of("--fault-point", "hold:" + point));
            }
            cluster.restartAgent(TARGET, targetArgs);
            cluster.awaitNodes(FaultCluster.AGENTS.size());
            cluster.step(TARGET + " behind the relay, " + holder + " holding at " + point);
            Migrations.spawnUnderWay(cluster, counter, id, SOURCE, 0);
            cluster.client().freeze(id);
            CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> {
                try {
                    cluster.client().migrate(id, TARGET);
                    return "committed";
                } catch (RuntimeException e) {
                    return "failed: " + e.getMessage();
                }
            });
            Poll.until(holder + " to reach " + point, Migrations.PROGRESS, () -> Files.exists(held) || call.isDone());
            if (!Files.exists(held)) {
                throw new ScenarioFailure("the migration ended before " + holder + " reached " + point + ": " + call.join());
            }
            relay.cut();
            Files.writeString(released, "");
            cluster.step("cut " + TARGET + " off at " + point);
            String outcome = outcome(call);
            cluster.step("migration " + outcome.split("\n")[0]);
            relay.heal();
            Poll.until(id + " thawed on its settled owner", ExactlyOnce.SETTLE, () -> Migrations.thawed(cluster, id));
            String owner = ExactlyOnce.awaitSettled(cluster, id);
            if (!owner.equals(expectedOwner)) {
                throw new ScenarioFailure(id + " settled on " + owner + ", expected " + expectedOwner + " (migration " + outcome + ")");
            }
            ExactlyOnce.awaitExactOutput(cluster, id, owner, counter);
            ExactlyOnce.requireNeverTwice(sampler);
            return TARGET + " cut off at " + point + "; migration " + outcome.split("\n")[0] + "; settled on " + owner + "; output exact";
        } finally {
            ExactlyOnce.cleanUp(cluster, id);
            Files.writeString(released, ""); // a holder still waiting goes on, whatever failed
            relay.close();
            cluster.restartAgent(TARGET, List.of());
            cluster.restartAgent(SOURCE, List.of());
            Files.deleteIfExists(held);
            Files.deleteIfExists(released);
        }
    }

    private static String outcome(CompletableFuture<String> call) throws InterruptedException {
        try {
            return call.get(120, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return "failed: " + e.getCause().getMessage();
        } catch (TimeoutException e) {
            throw new ScenarioFailure("the migration did not return within 120 s of the partition");
        }
    }
}
