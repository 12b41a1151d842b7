package pm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.v1.ProcessSpec;
import pm.v1.SpawnRequest;

/**
 * An agent keeps its modules' compiled code (the default tier's JVM bytecode) under its data
 * directory: a known module spawns without compiling again, in the same agent and after a
 * restart. Observed through the agent's own counters on its metrics endpoint.
 */
class CompiledCodeCacheTest {
    @TempDir
    Path dir;

    @Test
    void aRestartedAgentLoadsAKnownModulesCodeInsteadOfCompilingIt() throws Exception {
        ProcessSpec spec = Agents.counter(40, 2_000, 64 << 10);
        String expected = Agents.reference(spec);
        try (Agents agents = new Agents(dir)) {
            NodeAgentServer a = agents.start("a");
            assertThat(runToEnd(agents, a, "first", spec)).isEqualTo(expected);
            awaitCodeMade(a);
            assertThat(meter(a, "pm_jit_compilations_total"))
                    .as("compiled once, with and without dirty marks")
                    .isEqualTo(2);
            assertThat(meter(a, "pm_jit_disk_loads_total")).isZero();

            assertThat(runToEnd(agents, a, "second", spec)).isEqualTo(expected);
            assertThat(meter(a, "pm_jit_compilations_total"))
                    .as("the same module, the same agent: not again")
                    .isEqualTo(2);

            a.close();
            NodeAgentServer restarted = agents.start(AgentConfig.defaults("a", dir.resolve("a")));
            assertThat(runToEnd(agents, restarted, "third", spec)).isEqualTo(expected);
            awaitCodeMade(restarted);

            assertThat(meter(restarted, "pm_jit_disk_loads_total"))
                    .as("read from the data directory")
                    .isEqualTo(2);
            assertThat(meter(restarted, "pm_jit_compilations_total"))
                    .as("not compiled again after the restart")
                    .isZero();
        }
    }

    @Test
    void theInterpreterTierCompilesNothing() throws Exception {
        ProcessSpec spec = Agents.counter(10, 1_000, 64 << 10);
        try (Agents agents = new Agents(dir)) {
            NodeAgentServer a = agents.start(
                    AgentConfig.defaults("a", dir.resolve("a")).withTier(pm.runtime.interp.Machine.Tier.INTERP));
            assertThat(runToEnd(agents, a, "p", spec)).isEqualTo(Agents.reference(spec));

            assertThat(meter(a, "pm_jit_compilations_total") + meter(a, "pm_jit_disk_loads_total"))
                    .isZero();
        }
    }

    @Test
    void aDataDirectoryThatCannotHoldTheCodeIsRefusedNamingIt() throws Exception {
        Files.createDirectories(dir.resolve("a"));
        Files.writeString(dir.resolve("a").resolve("code"), "not a directory");

        assertThatThrownBy(() -> new NodeAgentServer(AgentConfig.defaults("a", dir.resolve("a"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(dir.resolve("a").resolve("code").toString())
                .hasMessageContaining("no directory");
    }

    /** Spawns {@code id} and returns its whole stdout once it has ended. */
    private static String runToEnd(Agents agents, NodeAgentServer agent, String id, ProcessSpec spec) {
        agents.stub(agent)
                .spawn(SpawnRequest.newBuilder().setProcessId(id).setSpec(spec).build());
        return Agents.follow(agents.stub(agent), id, 0, null);
    }

    /**
     * Waits until the agent's code cache has made the module's code in both variants (with and
     * without dirty marks), compiled or read (it does so off the processes' threads).
     */
    private static void awaitCodeMade(NodeAgentServer agent) {
        await().atMost(Duration.ofMinutes(2))
                .until(() -> meter(agent, "pm_jit_compilations_total") + meter(agent, "pm_jit_disk_loads_total") >= 2);
    }

    /** The value of counter {@code name} as the agent's Prometheus endpoint shows it. */
    private static long meter(NodeAgentServer agent, String name) throws Exception {
        String body = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.metricsPort() + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*\\} (\\S+)$").matcher(body);
        assertThat(m.find()).as(name + " on the metrics endpoint").isTrue();
        return (long) Double.parseDouble(m.group(1));
    }
}
