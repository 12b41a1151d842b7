package pm.runtime.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code pm run} / {@code pm resume} as a user starts them: a fresh JVM running {@link LocalMain}
 * with the launcher's flags, in a working directory, with stdin from a file or empty. Output is
 * collected while the child runs, so a chatty program cannot fill a pipe and stall.
 */
final class PmRun {
    /** What the child printed and how it ended. */
    record Result(int exit, String stdout, String stderr) {}

    private final Process process;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Thread outPump;
    private final Thread errPump;

    private PmRun(Process process) {
        this.process = process;
        this.outPump = pump(process.getInputStream(), out);
        this.errPump = pump(process.getErrorStream(), err);
    }

    /** Starts {@code pm <words>} in {@code dir}; {@code stdin} is a file, or null for an empty one. */
    static PmRun start(Path dir, Path stdin, String... words) throws IOException {
        List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-DontCompileHugeMethods", "-Xss16m", "-cp", System.getProperty("java.class.path"),
                LocalMain.class.getName()));
        command.addAll(List.of(words));
        ProcessBuilder b = new ProcessBuilder(command).directory(dir.toFile());
        b.redirectInput(stdin == null ? ProcessBuilder.Redirect.from(Paths.get("/dev/null").toFile())
                : ProcessBuilder.Redirect.from(stdin.toFile()));
        return new PmRun(b.start());
    }

    /** Runs {@code pm <words>} in {@code dir} to its end. */
    static Result run(Path dir, Path stdin, String... words) throws IOException, InterruptedException {
        return start(dir, stdin, words).waitFor();
    }

    /** What the child has printed on stdout so far. */
    String stdoutSoFar() {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    /** Sends SIGTERM, as {@code kill PID} does. */
    void terminate() {
        process.destroy();
    }

    Result waitFor() throws InterruptedException {
        if (!process.waitFor(5, TimeUnit.MINUTES)) { // a hang, not a speed limit
            process.destroyForcibly();
            throw new AssertionError("pm did not end within 5 minutes; stderr so far: " + err);
        }
        outPump.join();
        errPump.join();
        return new Result(process.exitValue(), stdoutSoFar(), err.toString(StandardCharsets.UTF_8));
    }

    private static Thread pump(InputStream in, ByteArrayOutputStream into) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    synchronized (into) {
                        into.write(buffer, 0, n);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, "pm-run-output");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
