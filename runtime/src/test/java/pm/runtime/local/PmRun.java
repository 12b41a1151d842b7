package pm.runtime.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code pm run} / {@code pm resume} as a user starts them: a fresh JVM running {@link LocalMain}
 * with the launcher's flags, in a working directory, with stdin from a file or empty. Its stdout and
 * stderr go to files, so a chatty program cannot fill a pipe and stall, and nothing it wrote just
 * before it exited can be lost to a pipe closing under a reader.
 */
final class PmRun {
    /** What the child printed and how it ended. */
    record Result(int exit, String stdout, String stderr) {}

    private final Process process;
    private final Path out;
    private final Path err;

    private PmRun(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** Starts {@code pm <words>} in {@code dir}; {@code stdin} is a file, or null for an empty one. */
    static PmRun start(Path dir, Path stdin, String... words) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-DontCompileHugeMethods",
                "-Xss16m",
                "-cp",
                System.getProperty("java.class.path"),
                LocalMain.class.getName()));
        command.addAll(List.of(words));
        Path out = Files.createTempFile("pm-run-", ".out");
        Path err = Files.createTempFile("pm-run-", ".err");
        out.toFile().deleteOnExit();
        err.toFile().deleteOnExit();
        ProcessBuilder b = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        b.redirectInput(
                stdin == null
                        ? ProcessBuilder.Redirect.from(Paths.get("/dev/null").toFile())
                        : ProcessBuilder.Redirect.from(stdin.toFile()));
        return new PmRun(b.start(), out, err);
    }

    /** Runs {@code pm <words>} in {@code dir} to its end. */
    static Result run(Path dir, Path stdin, String... words) throws IOException, InterruptedException {
        return start(dir, stdin, words).waitFor();
    }

    /** What the child has printed on stdout so far. */
    String stdoutSoFar() {
        return read(out);
    }

    /** Sends SIGTERM, as {@code kill PID} does. */
    void terminate() {
        process.destroy();
    }

    Result waitFor() throws InterruptedException {
        if (!process.waitFor(5, TimeUnit.MINUTES)) { // a hang, not a speed limit
            process.destroyForcibly();
            throw new AssertionError("pm did not end within 5 minutes; stderr so far: " + read(err));
        }
        return new Result(process.exitValue(), read(out), read(err));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
