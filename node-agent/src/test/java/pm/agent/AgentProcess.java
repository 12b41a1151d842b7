package pm.agent;

import io.grpc.ManagedChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import pm.common.net.GrpcTransport;
import pm.common.security.TlsFiles;
import pm.v1.NodeAgentGrpc;

/** Test support: a node agent in its own JVM ({@link AgentMain}), which a test can kill as with kill -9 and start again. */
public final class AgentProcess implements AutoCloseable {
    private final String name;
    private final Path data;
    private int port; // 0 until the first start has bound one; later starts reuse it
    private Process process;
    private ManagedChannel channel;
    private TlsFiles tls; // null: plaintext (--insecure)

    public AgentProcess(String name, Path data) {
        this.name = name;
        this.data = data;
    }

    /** Mutual TLS with {@code files} (a node certificate) for the agent and for {@link #stub()}, from the next start on. */
    public AgentProcess withTls(TlsFiles files) {
        this.tls = files;
        return this;
    }

    /**
     * Starts the agent (again) on its port and data directory; {@code faultPoint} may be empty. The
     * first start lets the agent bind a free port (a port picked here and bound later by the agent's
     * JVM can be taken in between by another test on the machine), and later starts reuse it.
     */
    public AgentProcess start(String faultPoint) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                // JVM warnings to stderr: the first line on stdout must be the agent's own
                "-Xlog:disable",
                "-Xlog:all=warning:stderr",
                "-XX:-UsePerfData",
                "-cp",
                System.getProperty("java.class.path"),
                AgentMain.class.getName(),
                "--name",
                name,
                "--data",
                data.toString(),
                "--port",
                Integer.toString(port),
                "--exit-with-stdin"));
        if (tls == null) {
            cmd.add("--insecure");
        } else {
            cmd.addAll(List.of(
                    "--ca",
                    tls.ca().toString(),
                    "--cert",
                    tls.cert().toString(),
                    "--key",
                    tls.key().toString()));
        }
        if (!faultPoint.isEmpty()) {
            cmd.addAll(List.of("--fault-point", faultPoint));
        }
        process = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        String prefix = "agent " + name + " listening on 127.0.0.1:";
        if (line == null || !line.startsWith(prefix)) {
            throw new IOException("agent " + name + " did not start: " + line);
        }
        port = Integer.parseInt(line.substring(prefix.length(), line.indexOf(' ', prefix.length())));
        Thread drain = new Thread(() -> {
            try {
                while (out.readLine() != null) {
                    // keep the pipe from filling
                }
            } catch (IOException ignored) {
                // the agent exited
            }
        });
        drain.setDaemon(true);
        drain.start();
        return this;
    }

    /** The agent's address; after its first start. */
    public String address() {
        if (port == 0) {
            throw new IllegalStateException("agent " + name + " has not started yet");
        }
        return "127.0.0.1:" + port;
    }

    public NodeAgentGrpc.NodeAgentBlockingStub stub() {
        if (channel == null) {
            channel = (tls == null ? GrpcTransport.insecure() : GrpcTransport.tls(tls))
                    .channel(address())
                    .build();
        }
        return NodeAgentGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    /** Waits for the agent to die (at its fault point); true if it did within the time. */
    public boolean awaitDeath(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    void killHard() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (process != null && process.isAlive()) {
            killHard();
        }
    }
}
