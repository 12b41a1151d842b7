package pm.deploy.faults;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import pm.v1.LogChunk;

/**
 * The demo guest as a workload that outlives any fault ({@code demo STEPS DELAY_MS WORK} with far
 * more steps than a scenario waits for): its output, read through the SDK, must be consecutive steps
 * each with the checksum an uninterrupted run prints there — a lost, repeated or changed step shows.
 * Stateless.
 */
final class DemoSteps {
    private DemoSteps() {}

    /** Waits until {@code id}'s output has at least {@code steps} lines, checking them all; returns how many it has. */
    static int await(FaultCluster cluster, String id, int steps, int totalSteps, int work) throws InterruptedException {
        return Poll.value(id + " to print step " + steps, Duration.ofMinutes(3), () -> {
            List<String> lines = output(cluster, id);
            checkContinuous(lines, totalSteps, work);
            return lines.size() >= steps ? Optional.of(lines.size()) : Optional.empty();
        });
    }

    /** The complete lines of {@code id}'s stdout. */
    static List<String> output(FaultCluster cluster, String id) {
        StringBuilder out = new StringBuilder();
        cluster.client().logs(id, (LogChunk c) -> {
            if (c.getStream() == LogChunk.Stream.STREAM_STDOUT) {
                out.append(c.getData().toString(StandardCharsets.UTF_8));
            }
        });
        String text = out.toString();
        int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : text.substring(0, end).lines().toList();
    }

    /**
     * The lines are consecutive steps, each with the checksum an uninterrupted run prints there (the
     * retained log may start after step 1; it may not skip, repeat or change a step).
     */
    static void checkContinuous(List<String> lines, int totalSteps, int work) {
        if (lines.isEmpty()) {
            return;
        }
        int first = Integer.parseInt(lines.get(0).substring(5, 8).strip());
        long checksum = 1469598103934665603L;
        for (int i = 1; i < first + lines.size(); i++) {
            for (int k = 0; k < work; k++) {
                checksum = (checksum ^ (long) (i * 31 + k)) * 1099511628211L;
            }
            if (i >= first) {
                String expected = String.format("step %3d of %d  checksum %016x", i, totalSteps, checksum);
                String got = lines.get(i - first);
                if (!got.equals(expected)) {
                    throw new ScenarioFailure("line " + (i - first + 1) + " of the output is '" + got
                            + "', the uninterrupted run prints '" + expected + "'");
                }
            }
        }
    }
}
