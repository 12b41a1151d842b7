package pm.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import pm.client.testing.ClusterExtension;
import pm.client.testing.Guests;
import pm.client.testing.TestCluster;
import pm.v1.ClusterProcess;
import pm.v1.MigrationReport;

/**
 * The README's SDK example, run against a real cluster; and a check that the README shows exactly the
 * code between the {@code readme:start} and {@code readme:end} markers here, so the two cannot drift.
 */
@ExtendWith(ClusterExtension.class)
class ReadmeExampleTest {
    private static final Path README = Paths.get("..", "README.md");
    private static final Path SELF = Paths.get("src", "test", "java", "pm", "client", "ReadmeExampleTest.java");
    /** The line before the README's checked block. */
    private static final String README_MARKER =
            "<!-- compile-checked: client/src/test/java/pm/client/ReadmeExampleTest.java -->";

    @Test
    void theReadmeExampleRunsAgainstARealCluster(TestCluster testCluster) {
        ClientSettings settings = ClientSettings.of(testCluster.coordinatorAddresses());
        Path module = Guests.COUNTER; // prints a tick line every few milliseconds until its count is reached

        // readme:start
        try (ClusterClient cluster = new ClusterClient(settings)) {
            ClusterProcess p = cluster.spawn(SpawnOptions.builder(module)
                    .withProcessId("demo")
                    .withArgs("1000000", "2000")
                    .withLabel("team", "a")
                    .build());
            List<ClusterProcess> team =
                    cluster.list(ListFilter.label("team", "a").withNode(p.getNode()));
            MigrationReport moved = cluster.migrate("demo"); // placement picks the node
            System.out.println(
                    team.size() + " of team a on " + p.getNode() + "; demo moved to " + moved.getTargetNode());
            cluster.checkpoint("demo"); // full
            cluster.checkpoint("demo", CheckpointOptions.incremental()); // the pages changed since
            cluster.suspend("demo");
            cluster.resume("demo", p.getNode()); // or resume("demo"): placement picks
            cluster.logs(
                    "demo",
                    LogOptions.written(),
                    chunk -> System.out.print(chunk.getData().toStringUtf8()));
            cluster.kill("demo");
            try {
                cluster.get("demo");
            } catch (NotFoundException e) { // e.code() == ErrorCode.NOT_FOUND
                System.out.println(e.description()); // "no process demo"
            }
        }
        // readme:end

        assertThatThrownBy(() -> testCluster.client().get("demo")).isInstanceOf(NotFoundException.class);
    }

    @Test
    void theReadmeShowsExactlyTheCodeThatRuns() throws IOException {
        assertThat(readmeBlock()).isEqualTo(markedRegion());
    }

    /** The fenced block after {@link #README_MARKER}. */
    private static List<String> readmeBlock() throws IOException {
        List<String> lines = Files.readAllLines(README);
        int marker = lines.indexOf(README_MARKER);
        assertThat(marker).as("README.md has the line %s", README_MARKER).isNotNegative();
        assertThat(lines.get(marker + 1)).isEqualTo("```java");
        List<String> block = new ArrayList<>();
        for (String line : lines.subList(marker + 2, lines.size())) {
            if (line.equals("```")) {
                return block;
            }
            block.add(line);
        }
        throw new AssertionError("the README's checked block has no closing fence");
    }

    /** The lines between the markers in this file, without the indentation the method adds. */
    private static List<String> markedRegion() throws IOException {
        List<String> lines = Files.readAllLines(SELF);
        int start = indexOfTrimmed(lines, "// readme:start");
        int end = indexOfTrimmed(lines, "// readme:end");
        int indent = lines.get(start).indexOf("//");
        return lines.subList(start + 1, end).stream()
                .map(l -> l.length() >= indent && l.substring(0, indent).isBlank() ? l.substring(indent) : l.strip())
                .toList();
    }

    private static int indexOfTrimmed(List<String> lines, String wanted) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(wanted)) {
                return i;
            }
        }
        throw new AssertionError("no line " + wanted + " in " + SELF);
    }
}
