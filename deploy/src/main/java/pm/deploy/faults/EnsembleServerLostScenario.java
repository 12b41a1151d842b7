package pm.deploy.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import pm.common.net.HostPort;
import pm.deploy.ChildJvm;

/**
 * The ZooKeeper server that leads a three-server ensemble is killed -9 at a migration's commit: the
 * target, held at {@code target.prepared}, goes on once the server is dead, so the coordinator's
 * commit transaction meets an ensemble electing a new leader, every client's connection broken. Runs
 * on a cluster of its own (the suite's runs on one embedded server): ensemble, coordinators c1 c2,
 * agents a1..a3. The process must end up on exactly one agent (either: the commit may land or the
 * migration roll back), its output exact; the dead server is started again and rejoins.
 */
final class EnsembleServerLostScenario implements Scenario {
    private static final String SOURCE = "a1";
    private static final String TARGET = "a2";
    private static final String POINT = "target.prepared";

    @Override
    public String name() {
        return "the leading server of a three-server ZooKeeper ensemble killed -9 at a migration's commit";
    }

    @Override
    public String run(FaultCluster suite, CounterWorkload counter) throws Exception {
        String id = "p-ensemble-server-lost";
        suite.step("starting a cluster on a three-server ensemble");
        try (FaultCluster cluster =
                FaultCluster.startOnEnsemble(suite.local().dir().resolve("ensemble"), 3)) {
            Path held = cluster.local().agentDataDir(TARGET).resolve("fault-held");
            Path released = cluster.local().agentDataDir(TARGET).resolve("fault-released");
            cluster.restartAgent(TARGET, List.of("--fault-point", "hold:" + POINT));
            suite.step("ensemble cluster up, " + TARGET + " holding at " + POINT);
            try (RunningSampler sampler = new RunningSampler(cluster.probe())) {
                Migrations.spawnUnderWay(cluster, counter, id, SOURCE, 0);
                cluster.client().freeze(id);
                CompletableFuture<String> call = Migrations.migrateAsync(cluster.client(), id, TARGET);
                Poll.until(
                        TARGET + " to reach " + POINT, Migrations.PROGRESS, () -> Files.exists(held) || call.isDone());
                if (!Files.exists(held)) {
                    throw new ScenarioFailure(
                            "the migration ended before " + TARGET + " reached " + POINT + ": " + call.join());
                }
                ChildJvm victim = Poll.value(
                        "the ensemble to name its leader",
                        Migrations.PROGRESS,
                        () -> quorumLeader(cluster.local().zookeeperServers()));
                victim.kill();
                Files.writeString(released, "");
                suite.step("killed " + victim.name() + " (the ensemble's leader), released " + TARGET);
                String outcome = Migrations.outcome(call, id);
                suite.step("migration " + outcome.split("\n")[0]);
                Poll.until(
                        id + " thawed on its settled owner", ExactlyOnce.SETTLE, () -> Migrations.thawed(cluster, id));
                String owner = ExactlyOnce.awaitSettled(cluster, id);
                ExactlyOnce.awaitExactOutput(cluster, id, owner, counter);
                ExactlyOnce.requireNeverTwice(sampler);
                victim.start(120);
                Poll.until(
                        victim.name() + " to serve in the ensemble again",
                        Migrations.PROGRESS,
                        () -> mode(victim).isPresent());
                return victim.name() + " (leading the ensemble) killed at the commit; migration "
                        + outcome.split("\n")[0] + "; settled on " + owner + "; output exact; " + victim.name()
                        + " rejoined as " + mode(victim).orElse("?");
            } finally {
                ExactlyOnce.cleanUp(cluster, id);
                Files.writeString(released, ""); // a holder still waiting goes on, whatever failed
            }
        }
    }

    /** The server that leads the ensemble now, if one does. */
    private static Optional<ChildJvm> quorumLeader(List<ChildJvm> servers) {
        return servers.stream()
                .filter(s -> mode(s).filter("leader"::equals).isPresent())
                .findFirst();
    }

    /** What ZooKeeper's {@code srvr} command says server {@code s} is (leader, follower), if it serves. */
    private static Optional<String> mode(ChildJvm s) {
        if (!s.isAlive()) {
            return Optional.empty();
        }
        HostPort at = HostPort.parse(s.address());
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(at.host(), at.port()), 5_000);
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write("srvr".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            return answer.lines()
                    .filter(l -> l.startsWith("Mode: "))
                    .map(l -> l.substring("Mode: ".length()).trim())
                    .findFirst();
        } catch (IOException notServing) {
            return Optional.empty();
        }
    }
}
