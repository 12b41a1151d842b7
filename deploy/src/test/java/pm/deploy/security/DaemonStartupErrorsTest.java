package pm.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.agent.AgentMain;
import pm.common.cli.DaemonLauncher;
import pm.common.security.CertificateAuthority;
import pm.common.security.Role;
import pm.common.security.TlsFiles;
import pm.coordinator.CoordinatorMain;

/**
 * A daemon given a bad flag, config file or certificate says so in one line naming the file, exits 2,
 * and has started nothing (its port is still free).
 */
class DaemonStartupErrorsTest {
    @TempDir
    Path dir;

    private CertificateAuthority ca;
    private TlsFiles node;
    private int port;

    @BeforeEach
    void certificates() throws Exception {
        ca = CertificateAuthority.init(dir.resolve("ca"), "test CA");
        node = ca.issue(Role.NODE, "a1", List.of("127.0.0.1"), dir.resolve("ca"));
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
    }

    private record Outcome(int code, String err) {}

    private Outcome run(Callable<Integer> daemon, String name, List<String> args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = DaemonLauncher.run(
                name, daemon, args.toArray(String[]::new), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return new Outcome(code, bytes.toString(StandardCharsets.UTF_8));
    }

    private Outcome agent(TlsFiles tls, String... extra) {
        List<String> args = new ArrayList<>(
                List.of("--name", "a1", "--data", dir.resolve("a1").toString(), "--port", Integer.toString(port)));
        if (tls != null) {
            args.addAll(List.of(
                    "--ca",
                    tls.ca().toString(),
                    "--cert",
                    tls.cert().toString(),
                    "--key",
                    tls.key().toString()));
        }
        args.addAll(List.of(extra));
        return run(new AgentMain(), "pm agent", args);
    }

    private void assertRefused(Outcome o, String... fragments) throws Exception {
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines().toList()).hasSize(1);
        assertThat(o.err()).startsWith("pm agent: ").contains(fragments);
        try (ServerSocket nothingThere = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertThat(nothingThere.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void configFileWithAnUnknownKeyOrAWrongType() throws Exception {
        Path config = dir.resolve("agent.properties");
        Files.writeString(config, "bind = 127.0.0.1\nprot = 7701\n");
        assertRefused(agent(node, "--config", config.toString()), config.toString(), "unknown key 'prot'");
        Files.writeString(config, "workers = two\n");
        assertRefused(
                agent(node, "--config", config.toString()),
                config.toString(),
                "'workers' must be a whole number, not 'two'");
        assertRefused(
                agent(node, "--config", dir.resolve("absent.properties").toString()),
                "absent.properties: no such config file");
    }

    @Test
    void missingOrUnreadableCertificateFiles() throws Exception {
        TlsFiles missing = new TlsFiles(node.ca(), dir.resolve("nope.pem"), node.key());
        assertRefused(agent(missing), "nope.pem: no such certificate file");
        Path garbage = Files.writeString(dir.resolve("garbage-key.pem"), "not a key\n");
        assertRefused(agent(new TlsFiles(node.ca(), node.cert(), garbage)), "garbage-key.pem");
        assertRefused(agent(null), "--ca, --cert and --key are required", "--insecure");
    }

    @Test
    void expiredNotYetValidOrWrongRoleCertificates() throws Exception {
        Instant now = Instant.now();
        TlsFiles expired = ca.issue(
                Role.NODE,
                "old",
                List.of(),
                now.minus(20, ChronoUnit.DAYS),
                now.minus(1, ChronoUnit.DAYS),
                dir.resolve("ca"));
        assertRefused(agent(expired), "old.pem: expired on ");
        TlsFiles early = ca.issue(
                Role.NODE,
                "early",
                List.of(),
                now.plus(1, ChronoUnit.DAYS),
                now.plus(9, ChronoUnit.DAYS),
                dir.resolve("ca"));
        assertRefused(agent(early), "early.pem: not valid before ");
        TlsFiles viewer = ca.issue(Role.VIEWER, "viewer", List.of(), dir.resolve("ca"));
        assertRefused(agent(viewer), "viewer.pem: the certificate's role is viewer; this needs node");
    }

    @Test
    void badFlagsNameTheFlag() throws Exception {
        assertRefused(agent(node, "--workers", "many"), "--workers", "many");
        assertRefused(agent(node, "--no-such-flag"), "--no-such-flag");
        assertRefused(agent(node, "--tier", "fast"), "unknown tier \"fast\"", "interp, compiled or auto");
        assertRefused(agent(node, "--log-format", "xml"), "--log-format is text or json, not 'xml'");
        assertRefused(agent(node, "--bind", "0.0.0.0"), "--bind 0.0.0.0", "--advertise");
        assertRefused(agent(node, "--zookeeper", "127.0.0.1:1"), "--zk-secret is required");
        Outcome coordinator =
                run(new CoordinatorMain(), "pm coordinator", List.of("--port", Integer.toString(port), "--insecure"));
        assertThat(coordinator.code()).isEqualTo(2);
        assertThat(coordinator.err()).contains("--zookeeper");
    }

    @Test
    void aZooKeeperServerOfAnEnsembleIsOneOfAtLeastThreePeers() throws Exception {
        List<String> peers =
                List.of("--peer", "1=127.0.0.1:1:2", "--peer", "2=127.0.0.1:3:4", "--peer", "3=127.0.0.1:5:6");
        List<String> args = new ArrayList<>(
                List.of("--data", dir.resolve("zk").toString(), "--port", Integer.toString(port), "--server-id", "4"));
        args.addAll(peers);
        Outcome notAPeer = run(new pm.deploy.EmbeddedZooKeeperMain(), "pm zookeeper", args);
        assertThat(notAPeer.code()).isEqualTo(2);
        assertThat(notAPeer.err().strip())
                .isEqualTo("pm zookeeper: --server-id 4 is not one of the --peer ids [1, 2, 3]");
        Outcome tooFew = run(
                new pm.deploy.EmbeddedZooKeeperMain(),
                "pm zookeeper",
                List.of(
                        "--data",
                        dir.resolve("zk").toString(),
                        "--port",
                        Integer.toString(port),
                        "--server-id",
                        "1",
                        "--peer",
                        "1=127.0.0.1:1:2",
                        "--peer",
                        "2=127.0.0.1:3:4"));
        assertThat(tooFew.code()).isEqualTo(2);
        assertThat(tooFew.err()).contains("at least three servers");
        try (ServerSocket nothingThere = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertThat(nothingThere.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void helpIsNotAnError() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertThat(run(new AgentMain(), "pm agent", List.of("--help")).code())
                    .isZero();
        } finally {
            System.setOut(saved);
        }
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("--bind", "--advertise", "--config", "--ca", "--zk-secret");
    }
}
