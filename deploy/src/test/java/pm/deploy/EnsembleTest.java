package pm.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.client.ClusterClient;
import pm.client.LogOptions;
import pm.client.SpawnOptions;
import pm.client.StreamHandle;
import pm.v1.MigrationReport;

/**
 * Running against a real ZooKeeper ensemble instead of the embedded server: three ZooKeeper servers
 * (curator-test's {@link TestingCluster}), a coordinator and three agents in their own JVMs given the
 * ensemble's connect string — exactly what a deployment's config names. A program spawned through
 * the SDK migrates across the agents, one ZooKeeper server is killed half-way (the ensemble keeps
 * its quorum), and its output is still exactly the uninterrupted run's.
 */
class EnsembleTest {
    @TempDir
    Path dir;

    @Test
    void theClusterRunsOnAThreeServerEnsembleAndSurvivesLosingOneServer() throws Exception {
        try (TestingCluster ensemble = new TestingCluster(3)) {
            ensemble.start();
            String connect = ensemble.getConnectString();
            List<ChildJvm> children = new ArrayList<>();
            try {
                ChildJvm coordinator = new ChildJvm(
                        "c1",
                        dir.resolve("logs/c1.log"),
                        "pm.coordinator.CoordinatorMain",
                        List.of(
                                "--zookeeper",
                                connect,
                                "--port",
                                "0",
                                "--name",
                                "c1",
                                "--exit-with-stdin",
                                "--insecure"));
                coordinator.start(60);
                children.add(coordinator);
                for (String name : List.of("a1", "a2", "a3")) {
                    ChildJvm agent = new ChildJvm(
                            name,
                            dir.resolve("logs/" + name + ".log"),
                            "pm.agent.AgentMain",
                            List.of(
                                    "--name",
                                    name,
                                    "--data",
                                    dir.resolve(name).toString(),
                                    "--port",
                                    "0",
                                    "--zookeeper",
                                    connect,
                                    "--exit-with-stdin",
                                    "--insecure"));
                    agent.start(60);
                    children.add(agent);
                }
                try (ClusterClient client = ClusterClient.connect(coordinator.address())) {
                    await().atMost(Duration.ofSeconds(60))
                            .until(() -> client.nodes().size() == 3);
                    byte[] demo = getClass().getResourceAsStream("/demo.wasm").readAllBytes();
                    String owner = client.spawn(SpawnOptions.builder(demo, "demo")
                                    .withProcessId("p")
                                    .withArgs(
                                            "300",
                                            "100") // 30 s: alive through three moves and an ensemble election at any
                                    // load
                                    .build())
                            .getNode();
                    StringBuilder out = new StringBuilder();
                    StreamHandle logs = client.async().logs("p", LogOptions.follow(), c -> {
                        synchronized (out) {
                            out.append(c.getData().toString(StandardCharsets.UTF_8));
                            out.notifyAll();
                        }
                    });
                    List<String> order = List.of("a1", "a2", "a3");
                    for (int hop = 1; hop <= 3; hop++) {
                        ClusterDemo.awaitLines(out, hop * 20); // moves happen while it runs, on any machine
                        if (hop == 2) {
                            InstanceSpec victim =
                                    ensemble.getInstances().iterator().next();
                            assertThat(ensemble.killServer(victim)).isTrue();
                        }
                        String target = order.get((order.indexOf(owner) + 1) % 3);
                        MigrationReport r = client.migrate("p", target);
                        assertThat(r.getTargetNode()).isEqualTo(target);
                        assertThat(r.getEpoch()).isEqualTo(hop + 1);
                        owner = target;
                    }
                    logs.done().get(120, TimeUnit.SECONDS);
                    synchronized (out) {
                        assertThat(out.toString()).isEqualTo(DemoGuest.expectedOutput(300, DemoGuest.DEFAULT_WORK));
                    }
                }
            } finally {
                for (ChildJvm c : children) {
                    c.close();
                }
            }
        }
    }
}
