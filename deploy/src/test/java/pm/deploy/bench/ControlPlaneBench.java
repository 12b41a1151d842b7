package pm.deploy.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
 * coordinator. Prints rates per second.
 */
public final class ControlPlaneBench {
    public static void main(String[] args) throws Exception {
        int spawns = Integer.getInteger("bench.spawns", 1000);
        int migrations = Integer.getInteger("bench.migrations", 600);
        int clients = Integer.getInteger("bench.clients", 16);
        byte[] idle = Files.readAllBytes(Paths.get("src", "main", "guest", "wasm", "demo.wasm"));
        Path dir = Files.createTempDirectory("pm-control-bench");
        try (LocalCluster cluster = new LocalCluster(dir).start(List.of(0), 3)) {
            ManagedChannel channel = NettyChannelBuilder.forTarget(cluster.coordinatorAddresses()).usePlaintext().build();
            ClusterGrpc.ClusterBlockingStub stub = ClusterGrpc.newBlockingStub(channel);
            while (stub.nodes(NodesRequest.getDefaultInstance()).getNodesCount() < 3) {
                Thread.sleep(100);
            }
            List<String> nodes = cluster.agents().stream().map(ChildJvm::name).toList();
            ExecutorService pool = Executors.newFixedThreadPool(clients);

            double baseline = rate(pool, 2000, i -> stub.nodes(NodesRequest.getDefaultInstance()));
            // A process that sleeps between short steps: small, alive for the whole run.
            ProcessSpec spec = ProcessSpec.newBuilder().setModule(ByteString.copyFrom(idle)).addArgs("demo").addArgs("1000000")
                    .addArgs("60000").addArgs("0").build();
            stub.spawn(ClusterSpawnRequest.newBuilder().setProcessId("warm").setSpec(spec).build());
            double spawnRate = rate(pool, spawns, i -> stub.withDeadlineAfter(60, TimeUnit.SECONDS)
                    .spawn(ClusterSpawnRequest.newBuilder().setProcessId("p" + i).setSpec(spec).build()));
            double migrateRate = rate(pool, migrations, i -> {
                String id = "p" + i;
                String owner = stub.get(ProcessRef.newBuilder().setProcessId(id).build()).getNode();
                String next = nodes.get((nodes.indexOf(owner) + 1) % nodes.size());
                return stub.withDeadlineAfter(60, TimeUnit.SECONDS)
                        .migrate(ClusterMigrateRequest.newBuilder().setProcessId(id).setTargetNode(next).build());
            });
            System.out.printf("baseline  Nodes calls      %8.0f /s%n", baseline);
            System.out.printf("spawns                     %8.0f /s  (%d processes, %d callers; %.1f%% of baseline)%n",
                    spawnRate, spawns, clients, 100 * spawnRate / baseline);
            System.out.printf("migrations (small, live)   %8.0f /s  (%d moves; %.1f%% of baseline)%n",
                    migrateRate, migrations, 100 * migrateRate / baseline);
            pool.shutdownNow();
            channel.shutdownNow();
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
