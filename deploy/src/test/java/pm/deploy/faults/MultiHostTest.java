package pm.deploy.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.client.SpawnOptions;
import pm.common.security.TlsFiles;
import pm.deploy.ChildJvm;
import pm.deploy.DemoGuest;
import pm.deploy.hosts.Host;
import pm.deploy.hosts.HostNetwork;
import pm.v1.ClusterProcess;
import pm.v1.MigrationReport;

/**
 * The cluster across hosts, secured as installed: ZooKeeper, two coordinators and three agents each in
 * its own network namespace with its own address (loopback addresses where namespaces cannot be made,
 * said on stdout), pmctl from a sixth. A process migrates live between hosts, is checkpointed, and
 * its owner's link is taken down: it is recovered on another host, its output stays the
 * uninterrupted run's, and it never runs on two hosts at once.
 */
class MultiHostTest {
    private static final List<String> HOSTS = List.of("zookeeper", "c1", "c2", "a1", "a2", "a3", "client");
    /** Steps of the demo guest: far more than the test waits for, so the process is alive whenever a fault fires. */
    private static final int STEPS = 1_000_000;

    private static final int WORK = 20_000;

    @TempDir
    Path dir;

    @Test
    void migratesAcrossHostsAndRecoversFromALinkTakenDown() throws Exception {
        try (HostNetwork network = HostNetwork.create(HOSTS, System.out);
                FaultCluster cluster = FaultCluster.start(dir, network::host)) {
            onlyOwnAddressesListen(network, cluster);
            String id = "roaming";
            try (RunningSampler sampler = new RunningSampler(cluster.probe())) {
                cluster.client()
                        .spawn(SpawnOptions.builder(DemoGuest.module(), "demo")
                                .withProcessId(id)
                                .withArgs(Integer.toString(STEPS), "20", Integer.toString(WORK))
                                .onNode("a1", false)
                                .checkpointEvery(Duration.ofSeconds(1))
                                .build());
                int seen = awaitSteps(cluster, id, 5);
                for (String target : List.of("a2", "a3", "a1", "a2")) {
                    MigrationReport r = cluster.client().migrate(id, target);
                    assertThat(r.getTargetNode()).isEqualTo(target);
                    seen = awaitSteps(cluster, id, seen + 5);
                }
                cluster.client().checkpoint(id);
                ClusterProcess durable = ExactlyOnce.awaitDurableCheckpoint(cluster, id);
                String lost = durable.getNode();
                if (network.isolated()) {
                    network.cut(lost);
                } else {
                    System.out.println("hosts: no namespaces, so " + lost + " is killed -9 instead of cut off");
                    cluster.agent(lost).kill();
                }
                Poll.until(
                        id + " recovered away from " + lost,
                        ExactlyOnce.SETTLE,
                        () -> !ExactlyOnce.ownershipRecord(cluster, id)
                                .getNode()
                                .equals(lost));
                String owner = ExactlyOnce.awaitSettled(cluster, id);
                awaitSteps(cluster, id, seen + 5);
                if (network.isolated()) {
                    network.heal(lost);
                    Poll.until(lost + " back in the cluster", Duration.ofMinutes(2), () -> cluster.nodeListed(lost));
                }
                int steps = awaitSteps(cluster, id, seen + 10);
                assertThat(ExactlyOnce.awaitSettled(cluster, id)).isEqualTo(owner);
                ExactlyOnce.requireNeverTwice(sampler);
                assertThat(steps).isGreaterThan(seen);
                pmctlFromAnotherHostSees(network, cluster, id);
            } finally {
                ExactlyOnce.cleanUp(cluster, id);
            }
        }
    }

    /** Every socket a daemon listens on is on its own host's address: nothing on 0.0.0.0, nothing it was not told. */
    private static void onlyOwnAddressesListen(HostNetwork network, FaultCluster cluster) throws Exception {
        List<ChildJvm> daemons = new ArrayList<>(cluster.local().coordinators());
        daemons.addAll(cluster.local().agents());
        for (ChildJvm d : daemons) {
            Host host = network.host(d.name());
            List<String> sockets = network.listening(host, d.pid());
            assertThat(sockets)
                    .as(d.name() + " listens")
                    .isNotEmpty()
                    .allMatch(s -> s.startsWith(host.address() + ":"));
        }
    }

    /** Waits until {@code id}'s output has at least {@code steps} lines; checks them all against the uninterrupted run. */
    private static int awaitSteps(FaultCluster cluster, String id, int steps) throws InterruptedException {
        return DemoSteps.await(cluster, id, steps, STEPS, WORK);
    }

    /** pmctl run on the client host (its own namespace) lists the process where the cluster says it is. */
    private static void pmctlFromAnotherHostSees(HostNetwork network, FaultCluster cluster, String id)
            throws Exception {
        TlsFiles operator = cluster.local().operatorFiles();
        List<String> command = new ArrayList<>(network.host("client").launcher());
        command.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "pm.client.cli.Pmctl",
                "--coordinator",
                cluster.local().coordinatorAddresses(),
                "--ca",
                operator.ca().toString(),
                "--cert",
                operator.cert().toString(),
                "--key",
                operator.key().toString(),
                "ps"));
        Process pmctl = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(pmctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(pmctl.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(pmctl.exitValue()).as(out).isZero();
        String node = ExactlyOnce.ownershipRecord(cluster, id).getNode();
        assertThat(out.lines()).as(out).anyMatch(l -> l.startsWith(id + " ") && l.contains(" " + node + " "));
    }
}
