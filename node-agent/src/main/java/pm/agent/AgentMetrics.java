package pm.agent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import pm.agent.process.ProcessHost;
import pm.common.metrics.JvmProcessMetrics;
import pm.common.metrics.ScrapeEndpoint;
import pm.common.metrics.ZooKeeperConnectionMetrics;
import pm.runtime.sched.ProcessScheduler;
import pm.v1.ProcessState;

/**
 * The agent's Micrometer meters (its own, its ZooKeeper connection's, and its JVM's: heap, GC, threads, open files) and the
 * Prometheus scrape endpoint ({@code GET /metrics}). Meters
 * are thread-safe; the HTTP server runs on its own thread.
 */
public final class AgentMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter spawned;
    private final Counter killed;
    private final Counter migrationsOut;
    private final Counter migrationsFailed;
    private final Counter migrationsIn;
    private final Counter bytesStreamed;
    private final Timer downtime;
    private final Timer migrationTime;
    private final Timer checkpointTime;
    private final DistributionSummary checkpointBytes;
    private final JvmProcessMetrics jvm = new JvmProcessMetrics();
    private ScrapeEndpoint http;

    AgentMetrics(String node) {
        registry.config().commonTags("node", node);
        spawned = Counter.builder("pm.processes.spawned").register(registry);
        killed = Counter.builder("pm.processes.killed").register(registry);
        migrationsOut = Counter.builder("pm.migrations")
                .tag("direction", "out")
                .tag("outcome", "committed")
                .register(registry);
        migrationsFailed = Counter.builder("pm.migrations")
                .tag("direction", "out")
                .tag("outcome", "failed")
                .register(registry);
        migrationsIn = Counter.builder("pm.migrations")
                .tag("direction", "in")
                .tag("outcome", "prepared")
                .register(registry);
        bytesStreamed = Counter.builder("pm.migration.bytes").baseUnit("bytes").register(registry);
        downtime = Timer.builder("pm.migration.downtime")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        migrationTime = Timer.builder("pm.migration.duration").register(registry);
        checkpointTime = Timer.builder("pm.checkpoint.duration")
                .publishPercentileHistogram()
                .register(registry);
        checkpointBytes = DistributionSummary.builder("pm.checkpoint.size")
                .baseUnit("bytes")
                .register(registry);
        jvm.bindTo(registry);
    }

    /** Gauges over live state: processes by state and the scheduler's queues. */
    void watch(ProcessHost host, ProcessScheduler scheduler) {
        for (ProcessState s : ProcessState.values()) {
            if (s == ProcessState.UNRECOGNIZED || s == ProcessState.PROCESS_STATE_UNSPECIFIED) {
                continue;
            }
            String name = s.name().substring("PROCESS_STATE_".length()).toLowerCase(Locale.ROOT);
            Gauge.builder(
                            "pm.processes",
                            host,
                            h -> h.all().stream().filter(p -> p.is(s)).count())
                    .tag("state", name)
                    .register(registry);
        }
        gauge("pm.scheduler.run.queue", scheduler::runQueueLength);
        gauge("pm.scheduler.running", scheduler::running);
        gauge("pm.scheduler.sleeping", scheduler::sleeping);
        gauge("pm.scheduler.frozen", scheduler::frozen);
        // Memory given back only when the new owner's checkpoint is durable (or the coordinator's bound passes).
        gauge("pm.migration.handed.over.copies", () -> host.handedOver().size());
    }

    /**
     * Counters over the code cache: module variants (with and without dirty marks) compiled to JVM
     * bytecode ({@code pm.jit.compilations}) and variants whose bytecode was read from the disk cache
     * instead ({@code pm.jit.disk.loads}), since the agent started.
     */
    void watch(pm.runtime.interp.JitCache code) {
        FunctionCounter.builder("pm.jit.compilations", code, pm.runtime.interp.JitCache::compilations)
                .register(registry);
        FunctionCounter.builder("pm.jit.disk.loads", code, pm.runtime.interp.JitCache::diskLoads)
                .register(registry);
    }

    /** The node's ZooKeeper connection (a cluster member's; a standalone agent has none). */
    void watch(CuratorFramework zk) {
        new ZooKeeperConnectionMetrics(zk).bindTo(registry);
    }

    private void gauge(String name, Supplier<Number> value) {
        Gauge.builder(name, value).register(registry);
    }

    public void spawned() {
        spawned.increment();
    }

    public void killed() {
        killed.increment();
    }

    public void checkpointed(long bytes, long nanos) {
        checkpointBytes.record(bytes);
        checkpointTime.record(Duration.ofNanos(nanos));
    }

    public void migratedOut(long downtimeNanos, long totalNanos) {
        migrationsOut.increment();
        downtime.record(Duration.ofNanos(downtimeNanos));
        migrationTime.record(Duration.ofNanos(totalNanos));
    }

    public void migrationFailed() {
        migrationsFailed.increment();
    }

    public void migratedIn() {
        migrationsIn.increment();
    }

    public void streamed(long bytes) {
        bytesStreamed.increment(bytes);
    }

    String scrape() {
        return registry.scrape();
    }

    /** Serves {@code /metrics} on 127.0.0.1:{@code port} (0 = any); returns the bound port. */
    int serve(java.net.InetSocketAddress address) throws IOException {
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
