package pm.client.testing;

import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import pm.client.ClusterClient;
import pm.client.LogOptions;
import pm.v1.LogChunk;

/** Test support: a process's stdout so far, and waiting for it to reach a line. */
public final class Logs {
    private Logs() {}

    public static String stdout(ClusterClient client, String id) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        client.logs(id, chunk -> {
            if (chunk.getStream() == LogChunk.Stream.STREAM_STDOUT) {
                out.writeBytes(chunk.getData().toByteArray());
            }
        });
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Waits until the process has printed {@code text}: it has made that much progress. */
    public static void awaitOutput(ClusterClient client, String id, String text) {
        await().atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> stdout(client, id).contains(text));
    }

    /** Waits until the process has printed tick {@code n} or a later one. */
    public static void awaitTick(ClusterClient client, String id, int n) {
        await().atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> lastTick(stdout(client, id)) >= n);
    }

    /** The highest tick in {@code output}, or -1. */
    public static int lastTick(String output) {
        return output.lines()
                .filter(l -> l.startsWith("tick "))
                .mapToInt(l -> Integer.parseInt(l.split(" ")[1]))
                .max()
                .orElse(-1);
    }

    /** Follows the process's stdout until it ends. */
    public static String followToEnd(ClusterClient client, String id) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        client.logs(id, LogOptions.follow(), chunk -> {
            if (chunk.getStream() == LogChunk.Stream.STREAM_STDOUT) {
                out.writeBytes(chunk.getData().toByteArray());
            }
        });
        return out.toString(StandardCharsets.UTF_8);
    }
}
