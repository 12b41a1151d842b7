package pm.coordinator.bench;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import pm.agent.AgentConfig;
import pm.agent.NodeAgentServer;
import pm.common.tracing.DaemonTracing;
import pm.common.tracing.SpanNames;
import pm.coordinator.ClusterFixture;
import pm.v1.ClusterMigrateRequest;
import pm.v1.ClusterSpawnRequest;
import pm.v1.MigrateRequest;
import pm.v1.Placement;
import pm.v1.ProcessRef;
import pm.v1.SpawnRequest;

/**
 * A migration's downtime under the two durability contracts, in one JVM: coordinator-driven moves in
 * a cluster (the source keeps its copy; the target forces nothing before it answers; the commit is
 * one ZooKeeper transaction) against standalone moves between two agents (the target forces the last
 * round and a PREPARED record before it answers; the source's HANDED_OFF record is the commit), the
 * two kinds alternating per size so that both see the same machine. For each size
 * ({@code bench.sizesMiB}, default 1,64) a counter guest fills that much memory and keeps running
 * and keeps writing 256 KiB of it while it is moved back and forth {@code bench.moves} times (default 20,10) each way. Baselines
 * measured in the same command: a unary agent {@code List} and a ZooKeeper read, p50. Prints downtime
 * p50/p99 per contract and as multiples of those round trips.
 */
public final class ClusterMigrationBench {
    private ClusterMigrationBench() {}

    public static void main(String[] args) throws Exception {
        String[] sizes = System.getProperty("bench.sizesMiB", "1,64").split(",");
        String[] moves = System.getProperty("bench.moves", "20,10").split(",");
        System.out.printf(
                "JVM %s, %d CPUs, load average %.2f at start%n",
                System.getProperty("java.vm.version"),
                Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        Path dir = Files.createTempDirectory("pm-cluster-migration-bench");
        // The coordinator's own phases of each move, from its trace: the commit transaction, then telling the agents.
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        try (DaemonTracing tracing =
                        DaemonTracing.withProcessor(SimpleSpanProcessor.create(spans), "pm-bench", "one-jvm");
                ClusterFixture cluster = new ClusterFixture(dir.resolve("cluster"))
                        .withTelemetry(tracing.telemetry())
                        .agents("a", "b");
                NodeAgentServer x = standalone(dir, "x");
                NodeAgentServer y = standalone(dir, "y")) {
            cluster.coordinator("c1");
            cluster.leader();
            warmUp(cluster, x, y);
            double agentRtt = agentRoundTripMicros(cluster);
            double zkRtt = zookeeperRoundTripMicros(cluster);
            System.out.printf(
                    "baselines: unary agent List p50 %.2f ms, ZooKeeper read p50 %.2f ms%n",
                    agentRtt / 1e3, zkRtt / 1e3);
            for (int i = 0; i < sizes.length; i++) {
                int mib = Integer.parseInt(sizes[i].trim());
                int count = Integer.parseInt(moves[Math.min(i, moves.length - 1)].trim());
                long[] clustered = new long[count];
                long[] local = new long[count];
                long[] clusteredPrepare = new long[count];
                long[] localPrepare = new long[count];
                String cid = "c" + mib;
                String sid = "s" + mib;
                spawnClustered(cluster, cid, mib);
                spawnStandalone(x, sid, mib);
                NodeAgentServer[] pair = {x, y};
                spans.reset();
                for (int m = 0; m < count; m++) {
                    var moved = cluster.cluster()
                            .migrate(ClusterMigrateRequest.newBuilder()
                                    .setProcessId(cid)
                                    .setTargetNode(m % 2 == 0 ? "b" : "a")
                                    .build());
                    clustered[m] = moved.getDowntimeMicros();
                    clusteredPrepare[m] = moved.getTransfer().getPrepareMicros();
                    var result = stub(pair[m % 2])
                            .migrateOut(MigrateRequest.newBuilder()
                                    .setProcessId(sid)
                                    .setTarget(pair[(m + 1) % 2].address())
                                    .setCommit(true)
                                    .build());
                    local[m] = result.getDowntimeMicros();
                    localPrepare[m] = result.getPrepareMicros();
                    Thread.sleep(200); // as MigrationBench: both guests dirty their working set again between moves
                }
                report(mib, "cluster (source keeps its copy)", clustered, clusteredPrepare, agentRtt, zkRtt);
                report(mib, "standalone (target forces first)", local, localPrepare, agentRtt, zkRtt);
                System.out.printf(
                        "%5d MiB cluster moves, the coordinator's part of the downtime: commit transaction p50 %.2f ms,"
                                + " then telling both agents p50 %.2f ms%n",
                        mib,
                        phaseMillis(spans, SpanNames.MIGRATION_COMMIT),
                        phaseMillis(spans, SpanNames.MIGRATION_FINISH));
                System.out.printf(
                        "%5d MiB: cluster / standalone: downtime p50 %.2f, the target's prepare p50 %.2f%n",
                        mib,
                        percentile(clustered, 50) / percentile(local, 50),
                        percentile(clusteredPrepare, 50) / percentile(localPrepare, 50));
                cluster.cluster().kill(ProcessRef.newBuilder().setProcessId(cid).build());
                stub(pair[count % 2])
                        .kill(ProcessRef.newBuilder().setProcessId(sid).build());
            }
            System.out.printf(
                    "load average %.2f at the end%n",
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static NodeAgentServer standalone(Path dir, String name) throws java.io.IOException {
        return new NodeAgentServer(AgentConfig.defaults(name, dir.resolve(name)).withPort(0)).start();
    }

    /** One channel per standalone agent, for the bench's life (closed with the JVM). */
    private static final java.util.Map<String, io.grpc.ManagedChannel> CHANNELS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static pm.v1.NodeAgentGrpc.NodeAgentBlockingStub stub(NodeAgentServer agent) {
        io.grpc.ManagedChannel channel = CHANNELS.computeIfAbsent(
                agent.address(),
                a -> io.grpc.ManagedChannelBuilder.forTarget(a).usePlaintext().build());
        return pm.v1.NodeAgentGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.MINUTES);
    }

    private static void spawnClustered(ClusterFixture cluster, String id, int mib) throws InterruptedException {
        cluster.cluster()
                .spawn(ClusterSpawnRequest.newBuilder()
                        .setProcessId(id)
                        .setSpec(counter(mib))
                        .setPlacement(Placement.newBuilder().setNode("a"))
                        .build());
        awaitFilled(
                () -> cluster.agentStub("a")
                        .get(ProcessRef.newBuilder().setProcessId(id).build()),
                mib);
    }

    private static void spawnStandalone(NodeAgentServer agent, String id, int mib) throws InterruptedException {
        stub(agent)
                .spawn(SpawnRequest.newBuilder()
                        .setProcessId(id)
                        .setSpec(counter(mib))
                        .build());
        awaitFilled(
                () -> stub(agent).get(ProcessRef.newBuilder().setProcessId(id).build()), mib);
    }

    /** A counter that fills {@code mib} and then keeps writing a working set of 256 KiB. */
    private static pm.v1.ProcessSpec counter(int mib) {
        try {
            return pm.agent.Agents.counter(Integer.MAX_VALUE, 2000, mib << 20, Math.min(256 << 10, mib << 20));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Waits until the guest's memory has its full size and it has run past the fill. */
    private static void awaitFilled(java.util.function.Supplier<pm.v1.ProcessInfo> info, int mib)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            pm.v1.ProcessInfo i = info.get();
            if ((long) i.getMemoryPages() * 65536 >= (long) mib << 20 && i.getInstructionsRetired() > 0) {
                Thread.sleep(1000);
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the guest never filled its memory");
    }

    /** Moves of both kinds before anything is measured: the data path is compiled by then. */
    private static void warmUp(ClusterFixture cluster, NodeAgentServer x, NodeAgentServer y) throws Exception {
        spawnClustered(cluster, "warm-c", 4);
        spawnStandalone(x, "warm-s", 4);
        NodeAgentServer[] pair = {x, y};
        for (int m = 0; m < 10; m++) {
            cluster.cluster()
                    .migrate(ClusterMigrateRequest.newBuilder()
                            .setProcessId("warm-c")
                            .setTargetNode(m % 2 == 0 ? "b" : "a")
                            .build());
            stub(pair[m % 2])
                    .migrateOut(MigrateRequest.newBuilder()
                            .setProcessId("warm-s")
                            .setTarget(pair[(m + 1) % 2].address())
                            .setCommit(true)
                            .build());
        }
        cluster.cluster().kill(ProcessRef.newBuilder().setProcessId("warm-c").build());
        stub(x).kill(ProcessRef.newBuilder().setProcessId("warm-s").build());
    }

    private static double agentRoundTripMicros(ClusterFixture cluster) {
        long[] micros = new long[200];
        var stub = cluster.agentStub("a");
        for (int i = 0; i < micros.length; i++) {
            long t0 = System.nanoTime();
            stub.list(pm.v1.ListRequest.getDefaultInstance());
            micros[i] = (System.nanoTime() - t0) / 1000;
        }
        return percentile(micros, 50);
    }

    private static double zookeeperRoundTripMicros(ClusterFixture cluster) throws Exception {
        long[] micros = new long[200];
        try (var zk = org.apache.curator.framework.CuratorFrameworkFactory.newClient(
                cluster.zookeeperAddress(), new org.apache.curator.retry.RetryOneTime(100))) {
            zk.start();
            zk.blockUntilConnected(30, TimeUnit.SECONDS);
            for (int i = 0; i < micros.length; i++) {
                long t0 = System.nanoTime();
                zk.checkExists().forPath("/");
                micros[i] = (System.nanoTime() - t0) / 1000;
            }
        }
        return percentile(micros, 50);
    }

    private static void report(
            int mib, String kind, long[] downtimeMicros, long[] prepareMicros, double agentRtt, double zkRtt) {
        double p50 = percentile(downtimeMicros, 50);
        System.out.printf(
                "%5d MiB x%d %-34s downtime p50 %.2f ms (%.1f agent round trips, %.1f ZooKeeper reads), p99 %.2f ms;"
                        + " of it the target's prepare p50 %.2f ms%n",
                mib,
                downtimeMicros.length,
                kind,
                p50 / 1e3,
                p50 / agentRtt,
                p50 / zkRtt,
                percentile(downtimeMicros, 99) / 1e3,
                percentile(prepareMicros, 50) / 1e3);
    }

    /** The p50 of the phase spans named {@code name} that the coordinator recorded since the last reset. */
    private static double phaseMillis(InMemorySpanExporter spans, String name) {
        long[] nanos = spans.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals(name))
                .mapToLong(s -> s.getEndEpochNanos() - s.getStartEpochNanos())
                .toArray();
        return nanos.length == 0 ? Double.NaN : percentile(nanos, 50) / 1e6;
    }

    private static double percentile(long[] values, int p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
