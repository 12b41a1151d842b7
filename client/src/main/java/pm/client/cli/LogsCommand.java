package pm.client.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import pm.client.ClusterClient;
import pm.client.LogOptions;
import pm.v1.LogChunk;

/** {@code pmctl logs [-f] ID}: the guest's stdout to stdout and its stderr to stderr, byte for byte. */
@Command(
        name = "logs",
        description = "Print a process's output; with -f, keep following it (across migrations) until it ends.")
final class LogsCommand extends ClusterCommand {
    @Parameters(paramLabel = "ID", description = "The process.")
    String id;

    @Option(
            names = {"-f", "--follow"},
            description = "Keep streaming until the process ends.")
    boolean follow;

    @Option(
            names = "--from",
            paramLabel = "OFFSET",
            defaultValue = "0",
            description = "Start at this byte of the combined log.")
    long from;

    @Override
    void run(ClusterClient client, Output output) {
        client.logs(
                id,
                (follow ? LogOptions.follow() : LogOptions.written()).from(from),
                chunk -> print(chunk, output, pmctl.err()));
    }

    /** A chunk of output where it belongs: stdout to stdout, stderr to stderr; bytes no longer kept said on stderr. */
    static void print(LogChunk chunk, Output output, java.io.PrintStream err) {
        if (chunk.getDroppedBefore() > 0) {
            err.println("pmctl: " + chunk.getDroppedBefore() + " bytes of output before offset " + chunk.getOffset()
                    + " are no longer kept (the agent's --log-retain-bytes)");
        }
        if (output.json()) {
            output.printLine(chunk, "");
        } else {
            var target = chunk.getStream() == LogChunk.Stream.STREAM_STDERR ? err : output.stream();
            byte[] data = chunk.getData().toByteArray();
            target.write(data, 0, data.length);
            target.flush();
        }
    }
}
