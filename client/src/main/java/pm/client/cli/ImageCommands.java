package pm.client.cli;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import pm.client.ClusterClient;
import pm.v1.ClusterProcess;
import pm.v1.ImportHeader;
import pm.v1.ProcessSpec;

/** Moving a process's image out of the cluster into a file, and from a file into a cluster. */
final class ImageCommands {
    private ImageCommands() {}

    @Command(name = "export", description = "Write the image of a frozen or suspended process to FILE.")
    static final class Export extends ClusterCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The process (frozen or suspended).")
        String id;

        @Parameters(index = "1", paramLabel = "FILE", description = "Where to write the image.")
        Path file;

        @Override
        void run(ClusterClient client, Output output) throws IOException {
            // Written beside the target and renamed at the end, so a failed export never leaves half an image under
            // FILE.
            Path partial = file.toAbsolutePath().resolveSibling(file.getFileName() + ".partial");
            ProgressMeter meter = new ProgressMeter("exported", pmctl.err(), System::nanoTime);
            long bytes;
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(partial), 1 << 20)) {
                bytes = client.exportImage(id, out, meter);
            } catch (RuntimeException | IOException e) {
                Files.deleteIfExists(partial);
                throw e;
            }
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
            meter.finish(bytes);
            Struct summary = Struct.newBuilder()
                    .putFields(
                            "processId", Value.newBuilder().setStringValue(id).build())
                    .putFields(
                            "file",
                            Value.newBuilder().setStringValue(file.toString()).build())
                    .putFields("bytes", Value.newBuilder().setNumberValue(bytes).build())
                    .build();
            output.print(summary, new Table("PROCESS", "FILE", "BYTES").add(id, file.toString(), Views.bytes(bytes)));
        }
    }

    @Command(name = "import", description = "Bring a process in from an image FILE written by export.")
    static final class Import extends ClusterCommand {
        @Parameters(paramLabel = "FILE", description = "The image.")
        Path file;

        @Option(
                names = "--id",
                paramLabel = "ID",
                defaultValue = "",
                description = "Its id here (default: the exported id).")
        String id;

        @Option(names = "--node", paramLabel = "NODE", defaultValue = "", description = "Put it on this node.")
        String node;

        @Option(
                names = "--module",
                paramLabel = "MODULE.wasm",
                description = "The module, if this cluster does not hold it already (another cluster's export).")
        Path module;

        @Option(names = "--label", paramLabel = "K=V", description = "A label on the process (repeatable).")
        Map<String, String> labels = new LinkedHashMap<>();

        @Override
        void run(ClusterClient client, Output output) throws IOException {
            if (!Files.isReadable(file)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "cannot read " + file);
            }
            ImportHeader.Builder header = ImportHeader.newBuilder().setProcessId(id);
            if (!labels.isEmpty()) {
                header.setSpec(ProcessSpec.newBuilder().putAllLabels(labels));
            }
            if (module != null) {
                header.setModule(ByteString.copyFrom(Files.readAllBytes(module)));
            }
            ProgressMeter meter = new ProgressMeter("imported", pmctl.err(), System::nanoTime);
            ClusterProcess p;
            try (InputStream in = Files.newInputStream(file)) {
                p = client.importImage(in, header.build(), meter);
            }
            meter.finish(Files.size(file));
            // ImportHeader carries no placement, so a node is honoured by moving the process there afterwards.
            if (!node.isEmpty() && !node.equals(p.getNode())) {
                client.migrate(p.getProcessId(), node);
                p = client.get(p.getProcessId());
            }
            output.print(p, Views.processes(List.of(p)));
        }
    }
}
