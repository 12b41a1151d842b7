package pm.deploy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One component of the local cluster in its own JVM (so that it can be killed like a host dying):
 * started with this JVM's class path, tied to this JVM by its stdin, ready once it prints its
 * {@code ... listening on HOST:PORT [metrics PORT]} line; everything it prints afterwards goes to its log
 * file.
 */
public final class ChildJvm implements AutoCloseable {
    private final String name;
    private final List<String> command;
    private final Path log;
    private Process process;
    private String address;
    private int metricsPort = -1;

    public ChildJvm(String name, Path log, String mainClass, List<String> args) {
        this(name, log, List.of(), mainClass, args);
    }

    /** {@code jvmOptions} come before the class path, e.g. {@code -Xmx256m}. */
    public ChildJvm(String name, Path log, List<String> jvmOptions, String mainClass, List<String> args) {
        this(name, log, List.of(), jvmOptions, mainClass, args);
    }

    /** {@code launcher} runs the JVM on another host of a test bed (e.g. {@code ip netns exec NS}); empty for this one. */
    public ChildJvm(
            String name,
            Path log,
            List<String> launcher,
            List<String> jvmOptions,
            String mainClass,
            List<String> args) {
        this.name = name;
        this.log = log;
        this.command = new ArrayList<>(launcher);
        this.command.addAll(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-Xss4m"));
        this.command.addAll(jvmOptions);
        this.command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        this.command.addAll(args);
    }

    /** Starts it and waits (up to {@code seconds}) for its listening line; returns its address. */
    public String start(long seconds) throws IOException, InterruptedException {
        Files.createDirectories(log.getParent());
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        PrintStream file = new PrintStream(
                Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND),
                true,
                StandardCharsets.UTF_8);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String line;
        while ((line = out.readLine()) != null) {
            file.println(line);
            int at = line.indexOf(" listening on ");
            if (at >= 0) {
                String[] words = line.substring(at + " listening on ".length()).split(" ");
                address = words[0];
                if (words.length >= 3 && words[1].equals("metrics")) {
                    metricsPort = Integer.parseInt(words[2]);
                }
                break;
            }
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        if (address == null) {
            process.destroyForcibly();
            throw new IOException(name + " did not start; see " + log);
        }
        Thread drain = new Thread(
                () -> {
                    try (file) {
                        String l;
                        while ((l = out.readLine()) != null) {
                            file.println(l);
                        }
                    } catch (IOException ignored) {
                        // it exited
                    }
                },
                "pm-child-log-" + name);
        drain.setDaemon(true);
        drain.start();
        return address;
    }

    public String name() {
        return name;
    }

    public String address() {
        return address;
    }

    /** The Prometheus scrape port its listening line named ({@code ... metrics PORT}), or -1 if it named none. */
    public int metricsPort() {
        return metricsPort;
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The operating system's id of its JVM (for signals). */
    public long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " was not started");
        }
        return process.pid();
    }

    /** Waits up to {@code seconds} for it to end by itself (a fault point halts it); true if it did. */
    public boolean awaitExit(long seconds) throws InterruptedException {
        return process != null && process.waitFor(seconds, TimeUnit.SECONDS);
    }

    /** Ends it at once, as kill -9 would. */
    public void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
