package pm.coordinator;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import pm.v1.FileEntry;
import pm.v1.ProcessSpec;

/**
 * Test support: the node agent's counter guest, found from whichever module's directory tests run
 * in. The spec is the one {@code pm.agent.Agents.counter} builds, which reads the module from a path
 * relative to node-agent/ and so cannot be used from here.
 */
public final class Guests {
    private Guests() {}

    public static byte[] counterWasm() {
        for (Path p : new Path[] {Paths.get("..", "node-agent", "src", "test", "guest", "wasm", "counter.wasm"),
                Paths.get("node-agent", "src", "test", "guest", "wasm", "counter.wasm")}) {
            if (Files.exists(p)) {
                try {
                    return Files.readAllBytes(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        throw new IllegalStateException("counter.wasm not found from " + Paths.get("").toAbsolutePath());
    }

    /** The counter guest: {@code ticks} lines, {@code spin} hash steps between them over {@code mem} bytes, with /data files. */
    public static ProcessSpec counter(int ticks, int spin, int mem) {
        return ProcessSpec.newBuilder()
                .setModule(ByteString.copyFrom(counterWasm()))
                .addArgs("counter").addArgs(Integer.toString(ticks)).addArgs(Integer.toString(spin)).addArgs(Integer.toString(mem))
                .addFiles(FileEntry.newBuilder().setPath("input").setContents(ByteString.copyFromUtf8("the quick brown fox\n".repeat(50))))
                .addFiles(FileEntry.newBuilder().setPath("ticks").setContents(ByteString.EMPTY))
                .build();
    }
}
