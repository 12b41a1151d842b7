package pm.client.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import pm.client.cli.Pmctl;

/** Test support: runs pmctl in this JVM against given coordinators, capturing what it prints and its exit code. */
public final class PmctlRunner {
    private final String coordinators;

    public PmctlRunner(String coordinators) {
        this.coordinators = coordinators;
    }

    /** What one pmctl run printed and returned. */
    public record Result(int exitCode, String stdout, String stderr) {
        public List<String> stdoutLines() {
            return stdout.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    public Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        CommandLine cmd = new CommandLine(new Pmctl(Map.of("PM_COORDINATOR", coordinators), outStream, errStream));
        cmd.setOut(new PrintWriter(outStream, true, StandardCharsets.UTF_8));
        cmd.setErr(new PrintWriter(errStream, true, StandardCharsets.UTF_8));
        int code = cmd.execute(args);
        outStream.flush();
        errStream.flush();
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
