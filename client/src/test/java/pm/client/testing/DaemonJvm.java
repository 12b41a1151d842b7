package pm.client.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Test support: one daemon (agent or coordinator) in its own JVM on this test's class path. It is started
 * with {@code --exit-with-stdin}, so it dies with the test JVM; its stderr goes to {@code NAME.log} in the
 * cluster's directory, quoted when it fails to start. Owned by the test thread.
 */
public final class DaemonJvm implements AutoCloseable {
    private static final long START_SECONDS = 120;

    private final String name;
    private final Path log;
    private final Process process;
    private final CompletableFuture<String> firstLine = new CompletableFuture<>();

    private DaemonJvm(String name, Path log, Process process) {
        this.name = name;
        this.log = log;
        this.process = process;
    }

    /** Launches {@code mainClass} with {@code args}; call {@link #awaitReady} before using it. */
    public static DaemonJvm launch(String name, Path dir, List<String> jvmOptions, String mainClass, List<String> args)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        // The JVM's own warnings (e.g. a locked hsperfdata file of a reused PID) go to the log, not stdout,
        // where the daemon's first line says it is ready.
        cmd.addAll(List.of("-Xlog:disable", "-Xlog:all=warning:stderr", "-XX:-UsePerfData"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(args);
        Files.createDirectories(dir);
        Path log = dir.resolve(name + ".log");
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        DaemonJvm jvm = new DaemonJvm(name, log, p);
        Thread reader = new Thread(jvm::readStdout, "daemon-stdout-" + name);
        reader.setDaemon(true);
        reader.start();
        return jvm;
    }

    /** Waits for the daemon's first line and checks it starts with {@code expected}. */
    public DaemonJvm awaitReady(String expected) throws IOException, InterruptedException {
        String line;
        try {
            line = firstLine.get(START_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            line = null;
        }
        if (line == null || !line.startsWith(expected)) {
            close();
            throw new IOException(name + " did not start (first line: " + line + "); its log ends:\n" + tail());
        }
        return this;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public String name() {
        return name;
    }

    public boolean alive() {
        return process.isAlive();
    }

    private void readStdout() {
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            firstLine.complete(out.readLine());
            while (out.readLine() != null) {
                // keep the pipe from filling
            }
        } catch (IOException e) {
            firstLine.complete(null);
        }
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Ends the daemon as kill -9 would. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
