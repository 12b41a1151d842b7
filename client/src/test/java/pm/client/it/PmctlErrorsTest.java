package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import pm.client.testing.ClusterExtension;
import pm.client.testing.Guests;
import pm.client.testing.PmctlRunner;
import pm.client.testing.TestCluster;

/**
 * Requests the cluster must refuse: each prints one line, {@code pmctl: <message> (CODE)}, exits non-zero,
 * and leaves the processes as they were.
 */
@ExtendWith(ClusterExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PmctlErrorsTest {
    private PmctlRunner pmctl;
    private List<String> nodes;
    private String home;

    @BeforeAll
    void startOneProcess(TestCluster cluster) {
        pmctl = new PmctlRunner(cluster.coordinatorAddresses());
        nodes = cluster.activeNodes();
        home = nodes.get(0);
        PmctlRunner.Result run = pmctl.run(
                "run",
                Guests.COUNTER.toString(),
                "--id",
                "err-victim",
                "--node",
                home,
                "--",
                "1000000",
                "2000",
                "65536");
        assertThat(run.exitCode()).as(run.toString()).isZero();
    }

    @AfterAll
    void killIt() {
        pmctl.run("kill", "err-victim");
    }

    /** Ids, owners, states and epochs (not the age, which moves on): what a refused request must not change. */
    private List<String> psShape() {
        PmctlRunner.Result ps = pmctl.run("ps");
        assertThat(ps.exitCode()).isZero();
        return ps.stdoutLines().stream()
                .skip(1)
                .map(l -> l.split(" +"))
                .map(c -> String.join(" ", c[0], c[1], c[2], c[4]))
                .sorted()
                .toList();
    }

    private void refused(String code, String... args) {
        List<String> before = psShape();

        PmctlRunner.Result r = pmctl.run(args);

        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr().lines()).as(r.toString()).hasSize(1);
        assertThat(r.stderr()).startsWith("pmctl: ").endsWith("(" + code + ")\n");
        assertThat(r.stdout()).isEmpty();
        assertThat(psShape()).isEqualTo(before);
    }

    @Test
    void anUnknownProcessIsNotFound() {
        refused("NOT_FOUND", "inspect", "no-such-process");
        refused("NOT_FOUND", "kill", "no-such-process");
        refused("NOT_FOUND", "migrate", "no-such-process");
        refused("NOT_FOUND", "freeze", "no-such-process");
    }

    @Test
    void anUnknownProcessMessageNamesIt() {
        PmctlRunner.Result r = pmctl.run("inspect", "p9");
        assertThat(r.stderr()).contains("p9");
    }

    @Test
    void anUnknownNodeIsNotFound() {
        refused("NOT_FOUND", "migrate", "err-victim", "--to", "no-such-node");
        refused(
                "NOT_FOUND",
                "run",
                Guests.COUNTER.toString(),
                "--id",
                "err-nowhere",
                "--node",
                "no-such-node",
                "--",
                "1",
                "1",
                "1");
    }

    @Test
    void migratingToTheCurrentOwnerIsAWrongState() {
        refused("WRONG_STATE", "migrate", "err-victim", "--to", home);
    }

    @Test
    void aModuleThatIsNotWebAssemblyIsInvalid(@TempDir Path dir) throws Exception {
        Path notWasm = dir.resolve("hello.wasm");
        Files.writeString(notWasm, "#!/bin/sh\necho hello\n");
        refused("INVALID_ARGUMENT", "run", notWasm.toString(), "--id", "err-not-wasm");
    }

    @Test
    void resumingARunningProcessIsAWrongState() {
        refused("WRONG_STATE", "resume", "err-victim");
    }

    @Test
    void noReachableCoordinatorExitsWithThree() throws Exception {
        String dead = "127.0.0.1:" + pm.client.testing.DaemonJvm.freePort();
        PmctlRunner.Result r = new PmctlRunner(dead).run("ps");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(3);
        assertThat(r.stderr()).startsWith("pmctl: cannot reach").contains(dead);
    }

    @Test
    void usageErrorsExitWithTwo() {
        assertThat(pmctl.run("run").exitCode()).isEqualTo(2);
        assertThat(pmctl.run("-o", "xml", "ps").exitCode()).isEqualTo(2);
        assertThat(pmctl.run("run", Guests.COUNTER.toString(), "--pin").exitCode())
                .isEqualTo(2);
        assertThat(pmctl.run("run", "/no/such/module.wasm").exitCode()).isEqualTo(2);
        assertThat(pmctl.run("frobnicate").exitCode()).isEqualTo(2);
    }
}
