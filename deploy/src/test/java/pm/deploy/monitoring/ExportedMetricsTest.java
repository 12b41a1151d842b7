package pm.deploy.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.client.ClusterClient;
import pm.client.SpawnOptions;
import pm.deploy.ChildJvm;
import pm.deploy.DemoGuest;
import pm.deploy.LocalCluster;

/**
 * The dashboard and the alert rules read only what the daemons really export: a cluster of one
 * coordinator and two agents spawns a process that asks for checkpoints, checkpoints it, migrates it
 * and runs a rebalancing round, then every daemon's {@code /metrics} is scraped and every metric
 * name the files' queries read must be among the scraped series' names (suffixes included: a query
 * reads {@code pm_migrations_total}, never {@code pm_migrations}).
 */
class ExportedMetricsTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void everyMetricTheDashboardAndTheAlertsReadIsExportedByARunningCluster() throws Exception {
        Set<String> read = MonitoringFiles.metricNames();
        assertThat(read).as("metric names the files read").hasSizeGreaterThanOrEqualTo(25);

        try (LocalCluster cluster = new LocalCluster(dir).start(List.of(0), 2);
                ClusterClient client = new ClusterClient(cluster.clientSettings())) {
            assertThat(cluster.awaitAgentsJoined(client, Duration.ofMinutes(2))).isTrue();
            String owner = client.spawn(SpawnOptions.builder(DemoGuest.module(), "demo")
                            .withProcessId("p")
                            .withArgs("2000", "100")
                            .checkpointEvery(Duration.ofSeconds(2))
                            .build())
                    .getNode();
            client.checkpoint("p");
            String target = cluster.agents().stream()
                    .map(ChildJvm::name)
                    .filter(n -> !n.equals(owner))
                    .findFirst()
                    .orElseThrow();
            assertThat(client.migrate("p", target).getTargetNode()).isEqualTo(target);
            client.rebalance();
            ChildJvm coordinator = cluster.coordinators().get(0);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> names(scrape(coordinator))
                            .containsAll(Set.of(
                                    "pm_checkpoint_age_seconds",
                                    "pm_replication_lag_seconds",
                                    "pm_cluster_replications_total")));

            Map<String, Set<String>> exported = new LinkedHashMap<>();
            for (ChildJvm daemon : cluster.coordinators()) {
                exported.put(daemon.name(), names(scrape(daemon)));
            }
            for (ChildJvm daemon : cluster.agents()) {
                exported.put(daemon.name(), names(scrape(daemon)));
            }
            exported.forEach((daemon, names) -> assertThat(names)
                    .as(daemon)
                    .contains("pm_zookeeper_connected", "jvm_memory_used_bytes", "pm_jvm_heap_after_gc_bytes"));
            Set<String> all = new TreeSet<>();
            exported.values().forEach(all::addAll);

            assertThat(absent(read, all))
                    .as("metrics the dashboard or the alerts read that no daemon exports")
                    .isEmpty();
            assertThat(absent(Set.of("pm_migrations", "pm_processes"), all))
                    .as("a counter's name without _total is not a series")
                    .containsExactly("pm_migrations");
        }
    }

    private static Set<String> absent(Set<String> read, Set<String> exported) {
        Set<String> absent = new TreeSet<>(read);
        absent.removeAll(exported);
        return absent;
    }

    private String scrape(ChildJvm daemon) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.metricsPort() + "/metrics"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(daemon.name()).isEqualTo(200);
        return response.body();
    }

    /** The names of the samples in a Prometheus text exposition. */
    static Set<String> names(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            names.add(line.substring(0, end));
        }
        return names;
    }
}
