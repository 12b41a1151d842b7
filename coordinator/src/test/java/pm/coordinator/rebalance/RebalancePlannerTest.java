package pm.coordinator.rebalance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import pm.coordinator.rebalance.ProcessDemand.Mobility;

/** The planner as a pure function: it reaches the band with about the fewest moves, and breaks no rule. */
class RebalancePlannerTest {
    private static final long MIB = 1L << 20;
    private static final double THRESHOLD = RebalanceSettings.DEFAULTS.threshold();
    private static final double BAND = RebalanceSettings.DEFAULTS.planBand();

    static NodeCapacity node(String name) {
        return new NodeCapacity(name, 1L << 30, 1000, 0, 0, Map.of());
    }

    static ProcessDemand process(String id, String node, long memory) {
        return new ProcessDemand(id, node, memory, 0, Map.of(), Mobility.FREE);
    }

    /** Nodes with their used memory and process counts filled in from {@code processes}. */
    static List<NodeCapacity> filled(List<NodeCapacity> nodes, List<ProcessDemand> processes) {
        List<NodeCapacity> out = new ArrayList<>();
        for (NodeCapacity n : nodes) {
            long used = processes.stream()
                    .filter(p -> p.node().equals(n.name()))
                    .mapToLong(ProcessDemand::memoryBytes)
                    .sum();
            int count = (int)
                    processes.stream().filter(p -> p.node().equals(n.name())).count();
            out.add(new NodeCapacity(n.name(), n.capacityBytes(), n.capacityProcesses(), used, count, n.labels()));
        }
        return out;
    }

    /** 300 processes of mixed sizes (most small, some large) spread over a, b, c as placement would; d empty. */
    static List<ProcessDemand> mixed(long seed) {
        Random r = new Random(seed);
        List<ProcessDemand> out = new ArrayList<>();
        long[] used = new long[3];
        for (int i = 0; i < 300; i++) {
            double kind = r.nextDouble();
            long pages = kind < 0.5 ? 1 + r.nextInt(4) : kind < 0.85 ? 4 + r.nextInt(13) : 16 + r.nextInt(17);
            int at = 0;
            for (int k = 1; k < 3; k++) {
                if (used[k] < used[at]) {
                    at = k;
                }
            }
            used[at] += pages;
            out.add(process("p" + i, "abc".substring(at, at + 1), pages * 65536));
        }
        return out;
    }

    /** {@link MoveLowerBound} of {@code load}: the moves no plan can do without. */
    static int lowerBound(ClusterLoad load, double band) {
        Map<String, Double> targets = new java.util.HashMap<>();
        Map<String, List<Double>> movable = new java.util.HashMap<>();
        for (NodeCapacity n : load.nodes()) {
            targets.put(n.name(), load.target(n.name()));
            movable.put(n.name(), new ArrayList<>());
        }
        load.processes().stream()
                .filter(ProcessDemand::movable)
                .forEach(p -> movable.get(p.node()).add(load.share(p.id())));
        return MoveLowerBound.of(load.loads(), targets, movable, band);
    }

    @Test
    void aBalancedClusterGetsNoMoves() {
        List<ProcessDemand> ps = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            ps.add(process("p" + i, "abc".substring(i % 3, i % 3 + 1), MIB));
        }
        ClusterLoad load = LoadModel.evaluate(filled(List.of(node("a"), node("b"), node("c")), ps), ps);

        Plan plan = RebalancePlanner.plan(load, BAND);

        assertThat(load.imbalance()).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(plan.moves()).isEmpty();
        assertThat(plan.reason()).isEmpty();
    }

    @Test
    void anEmptyFourthNodeIsFilledWithinTheBandAndAtMostTenPercentMoreMovesThanTheLowerBound() {
        double worstRatio = 0;
        for (long seed = 1; seed <= 50; seed++) {
            List<ProcessDemand> ps = mixed(seed);
            ClusterLoad load = LoadModel.evaluate(filled(List.of(node("a"), node("b"), node("c"), node("d")), ps), ps);
            assertThat(load.imbalance()).isEqualTo(1.0, org.assertj.core.data.Offset.offset(1e-9)); // d has nothing

            Plan plan = RebalancePlanner.plan(load, BAND);

            int bound = lowerBound(load, THRESHOLD);
            assertThat(plan.imbalanceAfter()).as("seed %d", seed).isLessThanOrEqualTo(BAND + 1e-9);
            assertThat(load.imbalance(plan.after())).isEqualTo(plan.imbalanceAfter());
            assertThat(plan.moves().size())
                    .as("seed %d: moves vs lower bound %d", seed, bound)
                    .isLessThanOrEqualTo((int) Math.floor(1.1 * bound));
            assertThat(plan.moves()).allSatisfy(m -> assertThat(m.to()).isEqualTo("d"));
            worstRatio = Math.max(worstRatio, (double) plan.moves().size() / bound);
        }
        System.out.printf("planner: worst moves / lower bound over 50 clusters = %.3f%n", worstRatio);
    }

    @Test
    void aSingleOverloadedNodeShedsToTheOthers() {
        List<ProcessDemand> ps = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            ps.add(process("p" + i, i < 25 ? "a" : i < 32 ? "b" : "c", (1 + i % 5) * MIB));
        }
        ClusterLoad load = LoadModel.evaluate(filled(List.of(node("a"), node("b"), node("c")), ps), ps);

        Plan plan = RebalancePlanner.plan(load, BAND);

        assertThat(plan.imbalanceAfter()).isLessThanOrEqualTo(BAND);
        assertThat(plan.moves()).allSatisfy(m -> assertThat(m.from()).isEqualTo("a"));
        assertThat(plan.moves().size()).isLessThanOrEqualTo((int) Math.floor(1.1 * lowerBound(load, THRESHOLD)));
    }

    @Test
    void noProcessMovesTwiceInAPlan() {
        for (long seed = 1; seed <= 20; seed++) {
            List<ProcessDemand> ps = mixed(seed);
            List<NodeCapacity> nodes = List.of(node("a"), node("b"), node("c"), node("d"), node("e"));
            Plan plan = RebalancePlanner.plan(LoadModel.evaluate(filled(nodes, ps), ps), 0.01);

            Set<String> seen = new HashSet<>();
            assertThat(plan.moves())
                    .allSatisfy(m -> assertThat(seen.add(m.processId()))
                            .as("%s moves once", m.processId())
                            .isTrue());
        }
    }

    @Test
    void pinnedMigratingAndRecentlyMovedProcessesStayWhereTheyAre() {
        List<ProcessDemand> ps = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            Mobility m = i % 3 == 0 ? Mobility.PINNED : i % 3 == 1 ? Mobility.MIGRATING : Mobility.RECENTLY_MOVED;
            ps.add(new ProcessDemand("s" + i, "a", MIB, 0, Map.of(), i < 27 ? m : Mobility.FREE));
        }
        ClusterLoad load = LoadModel.evaluate(filled(List.of(node("a"), node("b")), ps), ps);

        Plan plan = RebalancePlanner.plan(load, BAND);

        assertThat(plan.moves()).extracting(Move::processId).containsExactlyInAnyOrder("s27", "s28", "s29");
        assertThat(plan.imbalanceAfter()).isGreaterThan(BAND);
        assertThat(plan.reason()).contains("no move helps node a", "27 of its processes cannot move");
    }

    @Test
    void aProcessOnlyGoesToNodesCarryingItsNodeLabels() {
        List<NodeCapacity> nodes = List.of(
                node("a"),
                new NodeCapacity("b", 1L << 30, 1000, 0, 0, Map.of("zone", "x")),
                new NodeCapacity("c", 1L << 30, 1000, 0, 0, Map.of("zone", "y")));
        List<ProcessDemand> ps = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            ps.add(new ProcessDemand("z" + i, "a", MIB, 0, Map.of("zone", "x"), Mobility.FREE));
        }
        ClusterLoad load = LoadModel.evaluate(filled(nodes, ps), ps);

        Plan plan = RebalancePlanner.plan(load, BAND);

        assertThat(plan.moves()).isNotEmpty().allSatisfy(m -> assertThat(m.to()).isEqualTo("b"));
        assertThat(plan.reason()).contains("node c");
    }

    @Test
    void aTargetNeverGetsMoreMemoryOrProcessesThanItOffers() {
        // b holds 32 MiB of something else already: balance would want far more there than the 8 MiB and 5 slots left.
        List<NodeCapacity> nodes = List.of(
                new NodeCapacity("a", 40 * MIB, 25, 30 * MIB, 20, Map.of()),
                new NodeCapacity("b", 40 * MIB, 5, 32 * MIB, 0, Map.of()));
        List<ProcessDemand> ps = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ps.add(process("m" + i, "a", (i % 2 == 0 ? 3 : 1) * MIB / 2));
        }
        ClusterLoad load = LoadModel.evaluate(nodes, ps);

        Plan plan = RebalancePlanner.plan(load, BAND);

        long memory = plan.moves().stream().mapToLong(Move::memoryBytes).sum();
        assertThat(memory).isLessThanOrEqualTo(8 * MIB);
        assertThat(plan.moves()).hasSizeLessThanOrEqualTo(5).isNotEmpty();
        assertThat(plan.reason()).contains("node");
    }

    @Test
    void nodesAlreadyWithinTheBandAreLeftAlone() {
        // a is 5 % over its target, b 5 % under: inside an 8 % band, so nothing moves.
        List<ProcessDemand> ps = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            ps.add(process("q" + i, i < 105 ? "a" : "b", MIB));
        }
        ClusterLoad load = LoadModel.evaluate(filled(List.of(node("a"), node("b")), ps), ps);

        assertThat(load.imbalance()).isCloseTo(0.05, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(RebalancePlanner.plan(load, BAND).moves()).isEmpty();
    }

    @Test
    void theModelWeighsMemoryCpuAndCountAndDropsADimensionWithNothingInIt() {
        List<NodeCapacity> nodes = List.of(node("a"), node("b"));
        List<ProcessDemand> idle = List.of(process("x", "a", 3 * MIB), process("y", "b", MIB));
        ClusterLoad noCpu = LoadModel.evaluate(nodes, idle);
        // memory 0.4 and count 0.2, renormalised to 2/3 and 1/3
        assertThat(noCpu.share("x"))
                .isCloseTo(2.0 / 3 * 0.75 + 1.0 / 3 * 0.5, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(noCpu.target("a")).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-9));

        List<ProcessDemand> busy = List.of(
                new ProcessDemand("x", "a", 3 * MIB, 9e6, Map.of(), Mobility.FREE),
                new ProcessDemand("y", "b", MIB, 1e6, Map.of(), Mobility.FREE));
        ClusterLoad withCpu = LoadModel.evaluate(nodes, busy);
        assertThat(withCpu.share("x"))
                .isCloseTo(0.4 * 0.75 + 0.4 * 0.9 + 0.2 * 0.5, org.assertj.core.data.Offset.offset(1e-9));

        List<ProcessDemand> wakeUps = List.of(
                new ProcessDemand("x", "a", 3 * MIB, 500, Map.of(), Mobility.FREE),
                new ProcessDemand("y", "b", MIB, 0, Map.of(), Mobility.FREE));
        assertThat(LoadModel.evaluate(nodes, wakeUps).share("x"))
                .as("CPU below the floor is noise")
                .isEqualTo(noCpu.share("x"));
    }

    @Test
    void targetsFollowCapacity() {
        List<NodeCapacity> nodes = List.of(
                new NodeCapacity("big", 3L << 30, 300, 0, 0, Map.of()),
                new NodeCapacity("small", 1L << 30, 100, 0, 0, Map.of()));
        ClusterLoad load = LoadModel.evaluate(nodes, List.of(process("p", "big", MIB)));

        assertThat(load.target("big")).isCloseTo(0.75, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(load.target("small")).isCloseTo(0.25, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(load.processes().stream().map(ProcessDemand::id).collect(Collectors.toList()))
                .containsExactly("p");
    }
}
