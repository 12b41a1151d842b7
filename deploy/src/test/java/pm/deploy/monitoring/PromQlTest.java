package pm.deploy.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PromQlTest {
    @Test
    void functionsAggregationsMatchersRangesAndGroupingAreNotMetricNames() {
        assertThat(
                        PromQl.metricNames(
                                "histogram_quantile(0.99, sum by (node, le) "
                                        + "(rate(pm_migration_downtime_seconds_bucket{node=~\"$node\", state=\"up_total\"}[$__rate_interval])))"))
                .containsExactly("pm_migration_downtime_seconds_bucket");
    }

    @Test
    void eachOperandOfABinaryExpressionIsANameButKeywordsAndNumbersAreNot() {
        assertThat(PromQl.metricNames(
                        "max by (process) (a_seconds) / on (process) group_left (owner) b_info > bool 1e3 "
                                + "and c offset 5m unless sum(d_total) without (le) or e < 0.5"))
                .containsExactly("a_seconds", "b_info", "c", "d_total", "e");
    }

    @Test
    void aGrafanaVariableQueryNamesItsMetric() {
        assertThat(PromQl.metricNames("label_values(pm_processes, node)")).containsExactly("pm_processes");
    }

    @Test
    void anUnbalancedQueryIsRefused() {
        assertThatThrownBy(() -> PromQl.metricNames("sum(rate(x_total[5m])"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unclosed '('");
        assertThatThrownBy(() -> PromQl.metricNames("x{a=\"b\"]"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unbalanced ']'");
    }
}
