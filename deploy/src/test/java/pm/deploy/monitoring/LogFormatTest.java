package pm.deploy.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.deploy.ChildJvm;

/** An agent started with {@code --log-format json}, as an operator runs it: every line it logs is one JSON object. */
class LogFormatTest {
    @TempDir
    Path dir;

    @Test
    void anAgentAskedForJsonWritesOneObjectPerLine() throws Exception {
        Path log = dir.resolve("a1.log");
        try (ChildJvm agent = new ChildJvm(
                "a1",
                log,
                "pm.agent.AgentMain",
                List.of(
                        "--name",
                        "a1",
                        "--data",
                        dir.resolve("a1").toString(),
                        "--insecure",
                        "--port",
                        "0",
                        "--log-format",
                        "json",
                        "--exit-with-stdin"))) {
            agent.start(120);
        }
        List<String> logged = Files.readAllLines(log).stream()
                .filter(l -> !l.contains(" listening on "))
                .toList();
        assertThat(logged)
                .isNotEmpty()
                .allSatisfy(line -> assertThat(JsonParser.parseString(line).isJsonObject())
                        .as(line)
                        .isTrue());
        JsonObject started = logged.stream()
                .map(l -> JsonParser.parseString(l).getAsJsonObject())
                .filter(o -> o.get("message").getAsString().startsWith("agent started"))
                .findFirst()
                .orElseThrow();
        assertThat(started.get("level").getAsString()).isEqualTo("INFO");
        assertThat(started.get("loggerName").getAsString()).isEqualTo("pm.agent.AgentMain");
        assertThat(started.get("kvpList").toString()).contains("\"node\":\"a1\"");
    }
}
