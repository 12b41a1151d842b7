package pm.coordinator;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import pm.common.metrics.JvmProcessMetrics;
import pm.common.metrics.ScrapeEndpoint;
import pm.common.metrics.ZooKeeperConnectionMetrics;
import pm.coordinator.process.CheckpointAges;
import pm.v1.OwnershipRecord;

/**
 * The coordinator's meters (spawns and migrations by outcome, migration duration, nodes and
 * processes, rebalancing rounds and moves by outcome and the last imbalance; each checkpointed
 * process's checkpoint age and replication lag; its ZooKeeper connection; its JVM's heap, GC,
 * threads and open files) and the Prometheus scrape endpoint {@code GET /metrics}. Meters are
 * thread-safe; the HTTP server runs on its own thread, which also refreshes the per-process rows.
 */
public final class CoordinatorMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer migrationTime;
    private final AtomicLong imbalanceBits = new AtomicLong(Double.doubleToLongBits(0));
    private final JvmProcessMetrics jvm = new JvmProcessMetrics();
    private volatile CheckpointAges checkpointAges;
    private ScrapeEndpoint http;

    public CoordinatorMetrics(String name) {
        registry.config().commonTags("coordinator", name);
        migrationTime = Timer.builder("pm.cluster.migration.duration").register(registry);
        Gauge.builder("pm.rebalance.imbalance", () -> Double.longBitsToDouble(imbalanceBits.get()))
                .description("max over nodes of |load - target| / target, as last sampled")
                .register(registry);
        jvm.bindTo(registry);
    }

    /** Gauges over the live view: nodes and processes. */
    public void watch(Supplier<Number> nodes, Supplier<Number> processes) {
        Gauge.builder("pm.cluster.nodes", nodes).register(registry);
        Gauge.builder("pm.cluster.processes", processes).register(registry);
    }

    /** Checkpoint age and replication lag per process, computed from {@code records} at each scrape. */
    public void watchCheckpoints(Supplier<? extends Collection<OwnershipRecord>> records, Clock clock) {
        CheckpointAges ages = new CheckpointAges(records, clock);
        ages.bindTo(registry);
        checkpointAges = ages;
    }

    /** This coordinator's ZooKeeper connection. */
    public void watch(CuratorFramework zk) {
        new ZooKeeperConnectionMetrics(zk).bindTo(registry);
    }

    /** {@code outcome}: ok or failed. */
    public void spawned(String outcome) {
        Counter.builder("pm.cluster.spawns")
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }

    /** {@code outcome}: committed, aborted or failed. */
    public void migrated(String outcome, Duration took) {
        Counter.builder("pm.cluster.migrations")
                .tag("outcome", outcome)
                .register(registry)
                .increment();
        if (outcome.equals("committed")) {
            migrationTime.record(took);
        }
    }

    /** {@code outcome}: ok or failed; {@code bytes}: image bytes the owner sent to the replica. */
    public void replicated(String outcome, long bytes) {
        Counter.builder("pm.cluster.replications")
                .tag("outcome", outcome)
                .register(registry)
                .increment();
        Counter.builder("pm.cluster.replicated.bytes")
                .baseUnit("bytes")
                .register(registry)
                .increment(bytes);
    }

    /** {@code how}: checkpoint (from a durable checkpoint), restart (from its spec) or failed. */
    public void recovered(String how) {
        Counter.builder("pm.cluster.recoveries")
                .tag("from", how)
                .register(registry)
                .increment();
    }

    /** A rebalancing round ran; {@code outcome}: balanced, moved or stuck (over the threshold, nothing could move). */
    public void rebalanceRound(String outcome) {
        Counter.builder("pm.rebalance.rounds")
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }

    /** A planned move ended; {@code outcome}: done or failed. */
    public void rebalanceMove(String outcome) {
        Counter.builder("pm.rebalance.moves")
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }

    public void imbalance(double value) {
        imbalanceBits.set(Double.doubleToLongBits(value));
    }

    public String scrape() {
        CheckpointAges ages = checkpointAges;
        if (ages != null) {
            ages.refresh();
        }
        return registry.scrape();
    }

    /** Serves {@code /metrics} on 127.0.0.1:{@code port} (0 = any); returns the bound port. */
    public int serve(java.net.InetSocketAddress address) throws IOException {
        http = ScrapeEndpoint.serve(address, this::scrape);
        return http.port();
    }

    @Override
    public void close() {
        if (http != null) {
            http.close();
        }
        jvm.close();
        registry.close();
    }
}
