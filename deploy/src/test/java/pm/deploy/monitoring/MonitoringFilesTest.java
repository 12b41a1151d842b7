package pm.deploy.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The dashboard and the alert rules as files: the shapes Grafana and Prometheus load, queries that
 * parse, and the metrics the operators asked to see (issue 17). Whether the daemons export those
 * metrics is {@link ExportedMetricsTest}'s question.
 */
class MonitoringFilesTest {
    private static final Set<String> RULE_KEYS =
            Set.of("alert", "expr", "for", "keep_firing_for", "labels", "annotations");

    @Test
    void alertRulesHaveThePrometheusRuleFileStructure() {
        Map<String, Object> file = MonitoringFiles.alerts();
        assertThat(file).containsOnlyKeys("groups");
        Set<String> groups = new HashSet<>();
        Set<String> alerts = new HashSet<>();
        for (Map<String, Object> group : MonitoringFiles.maps(file.get("groups"))) {
            assertThat(group).containsOnlyKeys("name", "rules");
            assertThat(groups.add((String) group.get("name")))
                    .as("group %s is named once", group.get("name"))
                    .isTrue();
            List<Map<String, Object>> rules = MonitoringFiles.maps(group.get("rules"));
            assertThat(rules).as("rules of %s", group.get("name")).isNotEmpty();
            for (Map<String, Object> rule : rules) {
                String name = (String) rule.get("alert");
                assertThat(rule.keySet())
                        .as(name)
                        .containsAll(Set.of("alert", "expr", "for", "labels", "annotations"))
                        .isSubsetOf(RULE_KEYS);
                assertThat(name).matches("Pm[A-Z][A-Za-z0-9]+");
                assertThat(alerts.add(name))
                        .as("alert %s is defined once", name)
                        .isTrue();
                assertThat((String) rule.get("expr")).as(name).isNotBlank();
                assertThat(String.valueOf(rule.get("for"))).as(name).matches("([0-9]+(ms|s|m|h|d|w|y))+");
                assertThat(MonitoringFiles.map(rule.get("labels"))).as(name).containsKey("severity");
                assertThat(MonitoringFiles.map(rule.get("labels")).get("severity"))
                        .as(name)
                        .isIn("warning", "critical");
                assertThat(MonitoringFiles.map(rule.get("annotations")))
                        .as(name)
                        .containsKeys("summary", "description");
            }
        }
        assertThat(alerts).hasSizeGreaterThanOrEqualTo(8);
    }

    @Test
    void dashboardPanelsQueryThroughTheDashboardsDatasourceVariable() {
        Map<String, Object> dashboard = MonitoringFiles.dashboard();
        assertThat(dashboard).containsKeys("uid", "title", "panels", "templating", "schemaVersion");
        List<Map<String, Object>> variables = MonitoringFiles.maps(
                MonitoringFiles.map(dashboard.get("templating")).get("list"));
        assertThat(variables)
                .anySatisfy(v -> assertThat(v)
                        .containsEntry("name", "datasource")
                        .containsEntry("type", "datasource")
                        .containsEntry("query", "prometheus"));
        Set<Object> ids = new HashSet<>();
        for (Map<String, Object> panel : MonitoringFiles.panels(dashboard)) {
            assertThat(ids.add(panel.get("id")))
                    .as("panel id %s is used once", panel.get("id"))
                    .isTrue();
            assertThat(MonitoringFiles.map(panel.get("gridPos"))).containsKeys("h", "w", "x", "y");
            if (panel.get("type").equals("row")) {
                continue;
            }
            assertThat(MonitoringFiles.map(panel.get("datasource")))
                    .as((String) panel.get("title"))
                    .containsEntry("uid", "${datasource}");
            List<Map<String, Object>> targets = MonitoringFiles.maps(panel.get("targets"));
            assertThat(targets)
                    .as((String) panel.get("title"))
                    .isNotEmpty()
                    .allSatisfy(t -> assertThat(t).containsKeys("refId", "expr"));
        }
    }

    @Test
    void everyQueryParsesAndReadsAMetric() {
        for (String query : MonitoringFiles.dashboardQueries()) {
            assertThat(PromQl.metricNames(query)).as(query).isNotEmpty();
        }
        for (String query : MonitoringFiles.alertQueries()) {
            assertThat(PromQl.metricNames(query)).as(query).isNotEmpty();
        }
    }

    @Test
    void theFilesCoverWhatOperatorsAskedFor() {
        assertThat(MonitoringFiles.metricNames())
                .contains(
                        "pm_processes", // by state and node
                        "pm_cluster_migrations_total",
                        "pm_migrations_total",
                        "pm_migration_downtime_seconds_bucket",
                        "pm_checkpoint_age_seconds",
                        "pm_replication_lag_seconds",
                        "pm_rebalance_imbalance",
                        "pm_zookeeper_connected",
                        "jvm_memory_used_bytes",
                        "pm_jvm_heap_after_gc_bytes");
    }
}
