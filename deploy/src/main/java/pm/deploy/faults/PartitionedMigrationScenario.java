package pm.deploy.faults;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import pm.deploy.LocalCluster;
import pm.testsupport.TcpProxy;

/**
 * A link is cut at a chosen moment of a migration a1 → a2, through a relay in this JVM: the target's
 * gRPC (a2 advertises the relay, so the coordinators and a1 lose it; its ZooKeeper link is direct),
 * or the source's ZooKeeper link. The agent armed with {@code hold:POINT} waits at that point until
 * the relay is cut, then goes on. With the target cut, before the commit point the migration must
 * abort and the process go on at the source, after it the process runs on the target; with the
 * source cut from ZooKeeper (it fences its processes) either end is right. Always exactly once,
 * output exact. The counter is frozen before the migration and thawed once it is settled, so it is
 * alive when the fault fires. Both agents are started again plain afterwards.
 */
final class PartitionedMigrationScenario implements Scenario {
    private static final String SOURCE = "a1";
    private static final String TARGET = "a2";

    /** What the relay carries. */
    enum Link {
        TARGET_GRPC,
        SOURCE_ZOOKEEPER
    }

    private final Link link;
    private final String point;

    /** {@code point}: a fault point ({@code source.*} held by the source, {@code target.*} by the target). */
    PartitionedMigrationScenario(Link link, String point) {
        this.link = link;
        this.point = point;
    }

    @Override
    public String name() {
        return (link == Link.TARGET_GRPC
                        ? "migration target partitioned from gRPC at "
                        : "migration source cut off from ZooKeeper at ")
                + point;
    }

    @Override
    public String run(FaultCluster cluster, CounterWorkload counter) throws Exception {
        cluster.disarmAgents();
        String id = "p-" + link.name().toLowerCase(java.util.Locale.ROOT) + "-" + point.replace('.', '-');
        String holder = point.startsWith("source.") ? SOURCE : TARGET;
        List<String> expectedOwners = link == Link.SOURCE_ZOOKEEPER
                ? List.of(SOURCE, TARGET)
                : List.of(point.endsWith("after-commit") ? TARGET : SOURCE);
        Path held = cluster.local().agentDataDir(holder).resolve("fault-held");
        Path released = cluster.local().agentDataDir(holder).resolve("fault-released");
        Files.deleteIfExists(held);
        Files.deleteIfExists(released);
        int port = LocalCluster.freePort();
        TcpProxy relay = new TcpProxy(
                link == Link.TARGET_GRPC ? "127.0.0.1:" + port : cluster.local().zookeeperAddress());
        String cut = link == Link.TARGET_GRPC ? TARGET : SOURCE;
        try (RunningSampler sampler = new RunningSampler(cluster.probe())) {
            List<String> hold = List.of("--fault-point", "hold:" + point);
            List<String> sourceArgs = holder.equals(SOURCE) ? hold : List.of();
            List<String> targetArgs = new ArrayList<>(holder.equals(TARGET) ? hold : List.of());
            if (link == Link.TARGET_GRPC) {
                targetArgs.addAll(List.of("--port", Integer.toString(port), "--advertise", relay.address()));
                cluster.restartAgent(SOURCE, sourceArgs);
            } else {
                cluster.restartAgent(SOURCE, sourceArgs, relay.address());
            }
            cluster.restartAgent(TARGET, targetArgs);
            cluster.awaitNodes(FaultCluster.AGENTS.size());
            cluster.step(cut + " behind the relay, " + holder + " holding at " + point);
            Migrations.spawnUnderWay(cluster, counter, id, SOURCE, 0);
            cluster.client().freeze(id);
            CompletableFuture<String> call = Migrations.migrateAsync(cluster.client(), id, TARGET);
            Poll.until(holder + " to reach " + point, Migrations.PROGRESS, () -> Files.exists(held) || call.isDone());
            if (!Files.exists(held)) {
                throw new ScenarioFailure(
                        "the migration ended before " + holder + " reached " + point + ": " + call.join());
            }
            relay.cut();
            Files.writeString(released, "");
            cluster.step("cut " + cut + " off at " + point);
            String outcome = Migrations.outcome(call, id);
            cluster.step("migration " + outcome.split("\n")[0]);
            relay.heal();
            Poll.until(id + " thawed on its settled owner", ExactlyOnce.SETTLE, () -> Migrations.thawed(cluster, id));
            String owner = ExactlyOnce.awaitSettled(cluster, id);
            if (!expectedOwners.contains(owner)) {
                throw new ScenarioFailure(
                        id + " settled on " + owner + ", expected " + expectedOwners + " (migration " + outcome + ")");
            }
            ExactlyOnce.awaitExactOutput(cluster, id, owner, counter);
            ExactlyOnce.requireNeverTwice(sampler);
            return cut + " cut off at " + point + "; migration " + outcome.split("\n")[0] + "; settled on " + owner
                    + "; output exact";
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
}
