package pm.client.cli;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import pm.client.ClusterClient;
import pm.client.Input;

/**
 * {@code pmctl cp ID:PATH LOCAL} and {@code pmctl cp LOCAL ID:PATH}: a file of a process's /data out or in.
 * The process may run (it pauses for the copy), be frozen, or have ended. A copy out is written beside
 * LOCAL and renamed at the end, so a failed copy never leaves half a file; {@code -} is stdout.
 */
@Command(name = "cp", description = "Copy a file out of a process's /data (ID:PATH LOCAL) or into it (LOCAL ID:PATH).")
final class CopyCommand extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "SOURCE", description = "ID:PATH (e.g. p1:/data/out.bz2) or a local file.")
    String source;

    @Parameters(index = "1", paramLabel = "DEST", description = "A local file (- for stdout) or ID:PATH.")
    String dest;

    /** {@code id:path}, where a local path never has a ':' before its first '/'. */
    private record Remote(String id, String path) {
        static Remote parse(String text) {
            int colon = text.indexOf(':');
            int slash = text.indexOf('/');
            return colon > 0 && (slash < 0 || colon < slash)
                    ? new Remote(text.substring(0, colon), text.substring(colon + 1))
                    : null;
        }
    }

    @Override
    void run(ClusterClient client, Output output) throws IOException {
        Remote from = Remote.parse(source);
        Remote to = Remote.parse(dest);
        if ((from == null) == (to == null)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "exactly one of SOURCE and DEST is ID:PATH, e.g. " + "pmctl cp p1:/data/out.txt out.txt");
        }
        ProgressMeter meter = new ProgressMeter("copied", pmctl.err(), System::nanoTime);
        long bytes;
        String summaryFrom;
        String summaryTo;
        if (from != null) {
            bytes = copyOut(client, from, dest, meter);
            summaryFrom = source;
            summaryTo = dest;
        } else {
            Path local = Path.of(source);
            if (!Files.isRegularFile(local) || !Files.isReadable(local)) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "cannot read " + local + ": " + (Files.exists(local) ? "not a readable file" : "no such file"));
            }
            var stat = client.writeFile(to.id(), to.path(), Input.of(local), meter);
            bytes = stat.getSize();
            summaryFrom = source;
            summaryTo = to.id() + ":" + stat.getPath();
        }
        meter.finish(bytes);
        if (dest.equals("-")) {
            return; // the file itself went to stdout
        }
        output.print(
                Struct.newBuilder()
                        .putFields(
                                "from",
                                Value.newBuilder().setStringValue(summaryFrom).build())
                        .putFields(
                                "to",
                                Value.newBuilder().setStringValue(summaryTo).build())
                        .putFields(
                                "bytes",
                                Value.newBuilder().setNumberValue(bytes).build())
                        .build(),
                new Table("FROM", "TO", "BYTES").add(summaryFrom, summaryTo, Views.bytes(bytes)));
    }

    private long copyOut(ClusterClient client, Remote from, String dest, ProgressMeter meter) throws IOException {
        if (dest.equals("-")) {
            OutputStream out = pmctl.out();
            long n = client.readFile(from.id(), from.path(), out, meter);
            out.flush();
            return n;
        }
        Path file = Path.of(dest);
        if (Files.isDirectory(file)) {
            file = file.resolve(Path.of(from.path()).getFileName());
        }
        Path partial = file.toAbsolutePath().resolveSibling(file.getFileName() + ".partial");
        long bytes;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(partial), 1 << 20)) {
            bytes = client.readFile(from.id(), from.path(), out, meter);
        } catch (RuntimeException | IOException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
        return bytes;
    }
}
