package pm.coordinator.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import pm.coordinator.placement.Candidate;
import pm.coordinator.placement.Placement;
import pm.coordinator.placement.PlacementRequest;
import pm.coordinator.placement.Reservations;
import pm.v1.NodeRecord;

/**
 * Placement latency for 1 000 simulated nodes, as the coordinator pays it: candidates built from the
 * node records and reservations, then {@link Placement#choose}. Prints p50/p99/max after a warm-up.
 * {@code java -cp ... pm.coordinator.bench.PlacementBench [nodes] [iterations]}
 */
public final class PlacementBench {
    private PlacementBench() {}

    public static void main(String[] args) {
        int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        Random random = new Random(42);
        List<NodeRecord> records = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            long capacity = (4L + random.nextInt(60)) << 30;
            records.add(NodeRecord.newBuilder()
                    .setName("n" + i)
                    .setAddress("10.0.0." + i + ":7000")
                    .setCapacityBytes(capacity)
                    .setCapacityProcesses(500)
                    .setMemoryBytes((long) (capacity * random.nextDouble()))
                    .setProcesses(random.nextInt(500))
                    .setCpuLoad(random.nextDouble())
                    .putLabels("zone", "z" + random.nextInt(4))
                    .putLabels("disk", random.nextBoolean() ? "ssd" : "hdd")
                    .build());
        }
        Reservations reservations = new Reservations();
        PlacementRequest[] requests = {
            new PlacementRequest(64L << 20, Map.of(), "", Set.of()),
            new PlacementRequest(256L << 20, Map.of("zone", "z1"), "", Set.of("n1")),
            new PlacementRequest(1L << 30, Map.of("zone", "z2", "disk", "ssd"), "", Set.of()),
        };
        long[] nanos = new long[iterations];
        String sink = "";
        for (int round = 0; round < 2; round++) { // the first round warms the JIT up
            for (int i = 0; i < iterations; i++) {
                long t0 = System.nanoTime();
                List<Candidate> candidates = new ArrayList<>(records.size());
                for (NodeRecord n : records) {
                    candidates.add(Candidate.of(n, reservations.of(n.getName()), false));
                }
                String chosen = Placement.choose(candidates, requests[i % requests.length]);
                nanos[i] = System.nanoTime() - t0;
                reservations.reserve(chosen, 1);
                sink = chosen;
            }
        }
        Arrays.sort(nanos);
        System.out.printf(
                "placement over %d nodes, %d decisions: p50 %.1f us, p99 %.1f us, max %.1f us (last choice %s)%n",
                nodes,
                iterations,
                nanos[iterations / 2] / 1e3,
                nanos[(int) (iterations * 0.99)] / 1e3,
                nanos[iterations - 1] / 1e3,
                sink);
    }
}
