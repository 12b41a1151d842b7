package pm.client.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import pm.client.SpawnOptions;

/**
 * Test support: the node agent's counter guest ({@code node-agent/src/test/guest/counter.c}), which prints
 * {@code tick I HASH} lines with hash work between them, then sums that prove no file write or memory page
 * was lost. Deterministic: the same arguments print the same output wherever and however it runs.
 */
public final class Guests {
    public static final Path COUNTER = Paths.get("..", "node-agent", "src", "test", "guest", "wasm", "counter.wasm");
    /** Lines a run of {@link #counter(String, int, int, int)} prints after its ticks. */
    public static final int TRAILER_LINES = 4;

    private Guests() {}

    /** {@code ticks} lines with {@code spin} hash steps before each, over a heap of {@code memBytes}. */
    public static SpawnOptions.Builder counter(String id, int ticks, int spin, int memBytes) {
        return SpawnOptions.builder(COUNTER)
                .withProcessId(id)
                .withArgs(Integer.toString(ticks), Integer.toString(spin), Integer.toString(memBytes))
                .withFile("input", "the quick brown fox\n".repeat(50).getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .withFile("ticks", new byte[0]);
    }

    /** A counter that runs for a long while (killed by its test) and shows progress every few milliseconds. */
    public static SpawnOptions.Builder longRunning(String id) {
        return counter(id, 1_000_000, 2_000, 1 << 20);
    }

    public static byte[] counterBytes() {
        try {
            return Files.readAllBytes(COUNTER);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
