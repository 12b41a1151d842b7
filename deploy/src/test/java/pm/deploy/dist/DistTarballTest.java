package pm.deploy.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.deploy.DemoGuest;

/**
 * The built tarball, unpacked and run as an operator would: only a JDK and the unpacked tree (no Maven
 * repository, no source tree; a scrubbed environment), certificates from {@code bin/pm certs}, ZooKeeper,
 * a coordinator and an agent started by {@code bin/pm} from config files made from the conf samples, and
 * {@code bin/pmctl} listing the node and running the demo guest the tarball carries to its end.
 * Runs in the integration-test phase (surefire execution dist-tarball), after package built the tarball;
 * the pom passes its exact path as {@code pm.dist.tarball}.
 */
@Tag("dist-tarball")
class DistTarballTest {
    private static final Duration START = Duration.ofMinutes(3);
    private static final long COMMAND_SECONDS = 300;

    @TempDir
    Path dir;

    private final List<Process> daemons = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void stopDaemons() throws InterruptedException {
        for (Process daemon : daemons) {
            daemon.descendants().forEach(ProcessHandle::destroyForcibly);
            daemon.destroyForcibly();
        }
        for (Process daemon : daemons) {
            daemon.waitFor(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void unpackedTarballRunsAClusterAndAProgramWithOnlyAJdk() throws Exception {
        Path tarball = Path.of(System.getProperty("pm.dist.tarball", "target/pm-missing.tar.gz"));
        assertThat(tarball)
                .as("the tarball mvn package builds (run through mvn verify)")
                .isRegularFile();
        Path unpacked = Files.createDirectories(dir.resolve("unpacked"));
        assertThat(run("tar", "tar", "xzf", tarball.toAbsolutePath().toString(), "-C", unpacked.toString()).code)
                .isZero();
        Path home;
        try (Stream<Path> top = Files.list(unpacked)) {
            home = top.collect(onlyElement());
        }
        assertThat(home.getFileName().toString()).startsWith("pm-");
        String pm = home.resolve("bin/pm").toString();
        String pmctl = home.resolve("bin/pmctl").toString();

        Path certs = dir.resolve("certs");
        expectSuccess(run("certs-init", pm, "certs", "init", "--dir", certs.toString()));
        expectSuccess(run(
                "certs-node",
                pm,
                "certs",
                "issue",
                "--dir",
                certs.toString(),
                "--role",
                "node",
                "--name",
                "node1",
                "--san",
                "127.0.0.1,localhost"));
        expectSuccess(run(
                "certs-operator",
                pm,
                "certs",
                "issue",
                "--dir",
                certs.toString(),
                "--role",
                "operator",
                "--name",
                "operator"));
        Map<String, String> tls = Map.of(
                "ca",
                certs.resolve("ca.pem").toString(),
                "cert",
                certs.resolve("node1.pem").toString(),
                "key",
                certs.resolve("node1-key.pem").toString(),
                "zk-secret",
                certs.resolve("zookeeper.secret").toString());

        int zkPort = freePort();
        Path zkConf = config(
                home,
                "zookeeper",
                Map.of(
                        "data",
                        dir.resolve("zookeeper").toString(),
                        "bind",
                        "127.0.0.1",
                        "port",
                        Integer.toString(zkPort)));
        String zookeeper = start("zookeeper", pm, "zookeeper", "--config", zkConf.toString(), "--exit-with-stdin");

        Map<String, String> coordinatorSettings = new java.util.HashMap<>(tls);
        coordinatorSettings.putAll(Map.of(
                "name",
                "c1",
                "bind",
                "127.0.0.1",
                "advertise",
                "127.0.0.1",
                "port",
                "0",
                "metrics-port",
                "0",
                "zookeeper",
                zookeeper));
        String coordinator = start(
                "coordinator",
                pm,
                "coordinator",
                "--config",
                config(home, "coordinator", coordinatorSettings).toString(),
                "--exit-with-stdin");

        Map<String, String> agentSettings = new java.util.HashMap<>(tls);
        agentSettings.putAll(Map.of(
                "name",
                "a1",
                "data",
                dir.resolve("a1").toString(),
                "bind",
                "127.0.0.1",
                "advertise",
                "127.0.0.1",
                "port",
                "0",
                "metrics-port",
                "0",
                "zookeeper",
                zookeeper,
                "capacity-mib",
                "256",
                "image-key",
                certs.resolve("cluster.key").toString()));
        start(
                "agent",
                pm,
                "agent",
                "--config",
                config(home, "agent", agentSettings).toString(),
                "--exit-with-stdin");

        for (Process daemon : daemons) {
            String commandLine = daemon.info().commandLine().orElse("");
            assertThat(commandLine)
                    .as("what runs is the unpacked tree's")
                    .contains(home.resolve("lib") + "/*")
                    .doesNotContain(".m2");
        }

        Path pmctlConf = config(
                home,
                "pmctl",
                Map.of(
                        "coordinator",
                        coordinator,
                        "ca",
                        certs.resolve("ca.pem").toString(),
                        "cert",
                        certs.resolve("operator.pem").toString(),
                        "key",
                        certs.resolve("operator-key.pem").toString()));
        await().atMost(START).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            Result nodes = run("pmctl-nodes", Map.of("PM_CONFIG", pmctlConf.toString()), pmctl, "nodes");
            expectSuccess(nodes);
            assertThat(nodes.out).contains("a1");
        });

        expectSuccess(run(
                "pmctl-run",
                Map.of("PM_CONFIG", pmctlConf.toString()),
                pmctl,
                "run",
                home.resolve("examples/demo.wasm").toString(),
                "--id",
                "demo",
                "--",
                "5",
                "10",
                "100"));
        Result logs = run("pmctl-logs", Map.of("PM_CONFIG", pmctlConf.toString()), pmctl, "logs", "-f", "demo");
        expectSuccess(logs);
        assertThat(logs.out).isEqualTo(DemoGuest.expectedOutput(5, 100));
    }

    /** The daemon's conf sample with {@code settings} in place of its values, written beside the certificates. */
    private Path config(Path home, String daemon, Map<String, String> settings) throws IOException {
        Properties values = new Properties();
        try (Reader in =
                Files.newBufferedReader(home.resolve("conf").resolve(daemon + ".properties"), StandardCharsets.UTF_8)) {
            values.load(in);
        }
        values.putAll(settings);
        Path file = Files.createDirectories(dir.resolve("conf")).resolve(daemon + ".properties");
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            values.store(out, "from conf/" + daemon + ".properties of the tarball");
        }
        return file;
    }

    /** Starts a daemon and returns what it says it listens on, once it says so. */
    private String start(String name, String... command) throws IOException {
        Path log = dir.resolve("logs").resolve(name + ".log");
        Files.createDirectories(log.getParent());
        Process process = builder(Map.of(), command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        daemons.add(process);
        String marker = " listening on ";
        await().atMost(START).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            String text = Files.readString(log);
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; its log:\n" + text);
            }
            assertThat(text).as("%s's log", name).contains(marker);
        });
        String line = Files.readAllLines(log).stream()
                .filter(l -> l.contains(marker))
                .findFirst()
                .orElseThrow();
        return line.substring(line.indexOf(marker) + marker.length()).split(" ")[0];
    }

    private Result run(String name, String... command) throws IOException, InterruptedException {
        return run(name, Map.of(), command);
    }

    /** Runs a command to its end (within a generous deadline) with its output in files under logs/. */
    private Result run(String name, Map<String, String> env, String... command)
            throws IOException, InterruptedException {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path out = logs.resolve(name + ".out");
        Path err = logs.resolve(name + ".err");
        Process process = builder(env, command)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!process.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not end in " + COMMAND_SECONDS + " s; stderr:\n"
                    + Files.readString(err));
        }
        return new Result(String.join(" ", command), process.exitValue(), Files.readString(out), Files.readString(err));
    }

    /**
     * Only a JDK: JAVA_HOME is this test's Java, PATH the system's basic tools, HOME an empty directory
     * (no ~/.m2, no ~/.config/pm), and nothing else of this JVM's environment; the working directory is
     * the test's temporary directory.
     */
    private ProcessBuilder builder(Map<String, String> env, String... command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        Map<String, String> environment = builder.environment();
        environment.clear();
        environment.put("PATH", "/usr/bin:/bin");
        environment.put("JAVA_HOME", System.getProperty("java.home"));
        environment.put("HOME", Files.createDirectories(dir.resolve("home")).toString());
        environment.putAll(env);
        return builder;
    }

    private static void expectSuccess(Result result) {
        assertThat(result.code)
                .as("%s exits 0; stdout:%n%s%nstderr:%n%s", result.command, result.out, result.err)
                .isZero();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static <T> java.util.stream.Collector<T, ?, T> onlyElement() {
        return java.util.stream.Collectors.collectingAndThen(java.util.stream.Collectors.toList(), list -> {
            assertThat(list).hasSize(1);
            return list.get(0);
        });
    }

    private record Result(String command, int code, String out, String err) {}
}
