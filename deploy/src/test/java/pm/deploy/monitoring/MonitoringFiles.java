package pm.deploy.monitoring;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The distribution's monitoring files (deploy/src/dist/monitoring): the Grafana dashboard and the
 * Prometheus alert rules, read as plain maps and lists (the dashboard's JSON through the same YAML
 * parser: JSON is YAML), and the queries they hold.
 */
final class MonitoringFiles {
    static final Path DIR =
            Path.of(System.getProperty("pm.dist.sources", "src/dist")).resolve("monitoring");
    static final Path DASHBOARD = DIR.resolve("grafana-dashboard.json");
    static final Path ALERTS = DIR.resolve("alerts.yml");

    private MonitoringFiles() {}

    static Map<String, Object> dashboard() {
        return load(DASHBOARD);
    }

    static Map<String, Object> alerts() {
        return load(ALERTS);
    }

    /** Every PromQL query of the dashboard: its panels' (rows' nested ones too) and its variables'. */
    static List<String> dashboardQueries() {
        Map<String, Object> d = dashboard();
        List<String> queries = new ArrayList<>();
        for (Map<String, Object> panel : panels(d)) {
            for (Map<String, Object> target : maps(panel.get("targets"))) {
                queries.add((String) target.get("expr"));
            }
        }
        for (Map<String, Object> variable : maps(map(d.get("templating")).get("list"))) {
            if ("query".equals(variable.get("type"))) {
                Object q = variable.get("query");
                queries.add(q instanceof Map<?, ?> m ? (String) m.get("query") : (String) q);
            }
        }
        return queries;
    }

    /** The dashboard's panels, those rows hold included. */
    static List<Map<String, Object>> panels(Map<String, Object> dashboard) {
        List<Map<String, Object>> all = new ArrayList<>();
        for (Map<String, Object> panel : maps(dashboard.get("panels"))) {
            all.add(panel);
            all.addAll(maps(panel.get("panels")));
        }
        return all;
    }

    /** Every rule's {@code expr}. */
    static List<String> alertQueries() {
        List<String> queries = new ArrayList<>();
        for (Map<String, Object> rule : rules(alerts())) {
            queries.add((String) rule.get("expr"));
        }
        return queries;
    }

    static List<Map<String, Object>> rules(Map<String, Object> alerts) {
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Map<String, Object> group : maps(alerts.get("groups"))) {
            rules.addAll(maps(group.get("rules")));
        }
        return rules;
    }

    /** The metric names both files' queries read. */
    static Set<String> metricNames() {
        Set<String> names = new TreeSet<>();
        dashboardQueries().forEach(q -> names.addAll(PromQl.metricNames(q)));
        alertQueries().forEach(q -> names.addAll(PromQl.metricNames(q)));
        return names;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object map) {
        return map == null ? Map.of() : (Map<String, Object>) map;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> maps(Object list) {
        return list == null ? List.of() : (List<Map<String, Object>>) list;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> load(Path file) {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
