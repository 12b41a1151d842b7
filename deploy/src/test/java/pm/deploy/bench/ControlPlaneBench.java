package pm.deploy.bench;

import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.retry.RetryOneTime;
import pm.client.ClientSettings;
import pm.common.zk.ZooKeeperAccess;
import pm.deploy.ChildJvm;
import pm.deploy.LocalCluster;
import pm.v1.ClusterGrpc;
import pm.v1.ClusterMigrateRequest;
import pm.v1.ClusterSpawnRequest;
import pm.v1.NodesRequest;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;

/**
 * Control-plane throughput on one machine: a local cluster (ZooKeeper, coordinator, three agents,
 * each its own JVM); {@code bench.spawns} small processes spawned through the Cluster API by
 * {@code bench.clients} concurrent callers, then {@code bench.migrations} migrations of them to the
 * next node, also concurrent. Baseline in the same run: the Cluster API's cheapest call
 * ({@code Nodes}), so the figures can be read as multiples of one round trip through the
 * coordinator. Runs the whole measurement twice, plaintext and with mutual TLS (each on a fresh
 * cluster), and prints rates per second and the TLS / plaintext ratios.
 */
public final class ControlPlaneBench {
    public static void main(String[] args) throws Exception {
        int spawns = Integer.getInteger("bench.spawns", 1000);
        int migrations = Integer.getInteger("bench.migrations", 600);
        int clients = Integer.getInteger("bench.clients", 16);
        byte[] idle = Files.readAllBytes(Paths.get("src", "main", "guest", "wasm", "demo.wasm"));
        Rates plain = measure(false, idle, spawns, migrations, clients);
        Rates tls = measure(true, idle, spawns, migrations, clients);
        for (Rates r : List.of(plain, tls)) {
            String label = r == plain ? "plaintext" : "mutual TLS";
            System.out.printf("%-10s baseline Nodes calls    %8.0f /s%n", label, r.baseline);
            System.out.printf(
                    "%-10s ZooKeeper writes        %8.0f /s  (pipelined creates, the same server)%n",
                    label, r.zookeeperWrites);
            System.out.printf(
                    "%-10s spawns                  %8.0f /s  (%d processes, %d callers; %.1f%% of Nodes, %.1f%% of ZooKeeper writes)%n",
                    label, r.spawns, spawns, clients, 100 * r.spawns / r.baseline, 100 * r.spawns / r.zookeeperWrites);
            System.out.printf(
                    "%-10s migrations (small, live)%8.0f /s  (%d moves; %.1f%% of Nodes, %.1f%% of ZooKeeper writes)%n",
                    label,
                    r.migrations,
                    migrations,
                    100 * r.migrations / r.baseline,
                    100 * r.migrations / r.zookeeperWrites);
        }
        System.out.printf(
                "TLS / plaintext: Nodes %.2f, spawns %.2f, migrations %.2f%n",
                tls.baseline / plain.baseline, tls.spawns / plain.spawns, tls.migrations / plain.migrations);
    }

    record Rates(double baseline, double zookeeperWrites, double spawns, double migrations) {}

    /**
     * ZooKeeper's own write rate on the cluster's server: {@code n} small creates kept in flight
     * together through Curator's background API (pipelined, as its clients can), then deleted.
     */
    private static double zookeeperWrites(LocalCluster cluster, boolean secure, int n) throws Exception {
        ZooKeeperAccess access =
                secure ? ZooKeeperAccess.fromFile(cluster.secrets().zookeeperSecret()) : ZooKeeperAccess.OPEN;
        try (CuratorFramework zk =
                access.newClient(cluster.zookeeperAddress(), 30_000, 15_000, new RetryOneTime(100))) {
            zk.start();
            zk.blockUntilConnected();
            zk.create().forPath("/bench-writes");
            byte[] data = new byte[200]; // about an ownership record
            for (int round = 0; round < 2; round++) { // the first warms up
                CountDownLatch done = new CountDownLatch(n);
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    zk.create()
                            .inBackground((c, e) -> done.countDown())
                            .forPath("/bench-writes/w" + round + "-" + i, data);
                }
                done.await();
                if (round == 1) {
                    double rate = n / ((System.nanoTime() - t0) / 1e9);
                    zk.delete().deletingChildrenIfNeeded().forPath("/bench-writes");
                    return rate;
                }
            }
            throw new IllegalStateException("unreachable");
        }
    }

    private static Rates measure(boolean secure, byte[] idle, int spawns, int migrations, int clients)
            throws Exception {
        Path dir = Files.createTempDirectory("pm-control-bench");
        LocalCluster local = secure ? new LocalCluster(dir) : new LocalCluster(dir).insecure();
        String jvmOptions =
                System.getProperty("bench.jvm.options", "").trim(); // e.g. a flight recording, to see where time goes
        if (!jvmOptions.isEmpty()) {
            local.withJvmOptions(List.of(jvmOptions.split("\\s+")));
        }
        try (LocalCluster cluster = local.start(List.of(0), 3)) {
            ClientSettings settings = cluster.clientSettings();
            ManagedChannel channel = Grpc.newChannelBuilder(cluster.coordinatorAddresses(), settings.credentials())
                    .build();
            ClusterGrpc.ClusterBlockingStub stub = ClusterGrpc.newBlockingStub(channel);
            while (stub.nodes(NodesRequest.getDefaultInstance()).getNodesCount() < 3) {
                Thread.sleep(100);
            }
            List<String> nodes = cluster.agents().stream().map(ChildJvm::name).toList();
            ExecutorService pool = Executors.newFixedThreadPool(clients);

            // Warmed up first: 2 000 calls from cold JVMs measured mostly the JIT (389/s, read as "something serialises
            // calls").
            int baselineCalls = Integer.getInteger("bench.baseline.calls", 20_000);
            rate(pool, baselineCalls, i -> stub.nodes(NodesRequest.getDefaultInstance()));
            double baseline = rate(pool, baselineCalls, i -> stub.nodes(NodesRequest.getDefaultInstance()));
            double zookeeperWrites = zookeeperWrites(cluster, secure, Integer.getInteger("bench.zk.writes", 5_000));
            // A process that sleeps between short steps: small, alive for the whole run.
            ProcessSpec spec = ProcessSpec.newBuilder()
                    .setModule(ByteString.copyFrom(idle))
                    .addArgs("demo")
                    .addArgs("1000000")
                    .addArgs("60000")
                    .addArgs("0")
                    .build();
            stub.spawn(ClusterSpawnRequest.newBuilder()
                    .setProcessId("warm")
                    .setSpec(spec)
                    .build());
            double spawnRate = rate(
                    pool,
                    spawns,
                    i -> stub.withDeadlineAfter(60, TimeUnit.SECONDS)
                            .spawn(ClusterSpawnRequest.newBuilder()
                                    .setProcessId("p" + i)
                                    .setSpec(spec)
                                    .build()));
            double migrateRate = rate(pool, migrations, i -> {
                String id = "p" + i;
                String owner = stub.get(ProcessRef.newBuilder().setProcessId(id).build())
                        .getNode();
                String next = nodes.get((nodes.indexOf(owner) + 1) % nodes.size());
                return stub.withDeadlineAfter(60, TimeUnit.SECONDS)
                        .migrate(ClusterMigrateRequest.newBuilder()
                                .setProcessId(id)
                                .setTargetNode(next)
                                .build());
            });
            pool.shutdownNow();
            channel.shutdownNow();
            return new Rates(baseline, zookeeperWrites, spawnRate, migrateRate);
        }
    }

    interface Call {
        Object run(int i) throws Exception;
    }

    private static double rate(ExecutorService pool, int n, Call call) throws Exception {
        long t0 = System.nanoTime();
        List<Future<Object>> done = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            done.add(pool.submit(() -> call.run(k)));
        }
        for (Future<Object> f : done) {
            f.get();
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }
}
