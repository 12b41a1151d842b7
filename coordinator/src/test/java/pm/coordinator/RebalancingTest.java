package pm.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.coordinator.migration.MigrationObserver;
import pm.coordinator.rebalance.MoveLowerBound;
import pm.coordinator.rebalance.RebalanceSettings;
import pm.v1.ClusterEvent;
import pm.v1.ClusterGrpc;
import pm.v1.ClusterListRequest;
import pm.v1.ClusterProcess;
import pm.v1.ClusterSpawnRequest;
import pm.v1.DrainReport;
import pm.v1.DrainRequest;
import pm.v1.EventsRequest;
import pm.v1.ProcessState;
import pm.v1.RebalancePlan;
import pm.v1.RebalanceRequest;

/**
 * The rebalancer over real agents and ZooKeeper: an empty node joins three loaded ones and the cluster
 * is back in balance in seconds with about the fewest moves; a drained node empties while rounds go on.
 * Loads and the lower bound of moves are worked out here from what the Cluster API lists, apart from
 * the coordinator's own model: memory (2/3) and process count (1/3), since sleepers use no CPU.
 */
class RebalancingTest {
    private static final double THRESHOLD = 0.10;
    private static final long PAGE = 65_536;
    private static final Pattern ROUND = Pattern.compile("^round (\\d+): (\\S+) ");

    @TempDir
    Path dir;

    private ClusterFixture cluster;
    private ClusterGrpc.ClusterBlockingStub api;
    private final List<ClusterEvent> events = new CopyOnWriteArrayList<>();
    private final ExecutorService callers = Executors.newFixedThreadPool(8);

    @AfterEach
    void stop() throws Exception {
        callers.shutdownNow();
        if (cluster != null) {
            cluster.close();
        }
    }

    private void startCluster(String... agents) throws Exception {
        cluster = new ClusterFixture(dir);
        for (String a : agents) {
            cluster.startAgent(a, Map.of(), 1000);
        }
        cluster.coordinator(
                "c1",
                MigrationObserver.NONE,
                c -> c.withRebalance(RebalanceSettings.DEFAULTS
                        .withInterval(Duration.ofMillis(300))
                        .withCooldown(Duration.ofSeconds(1))
                        .withRecentMoveCooldown(Duration.ofMinutes(10))));
        api = cluster.cluster();
        cluster.asyncCluster(cluster.leader()).events(EventsRequest.getDefaultInstance(), new StreamObserver<>() {
            @Override
            public void onNext(ClusterEvent e) {
                events.add(e);
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
        });
        await().atMost(Duration.ofSeconds(10))
                .until(() -> cluster.leader().events().subscribers() == 1);
    }

    /** {@code n} sleepers of mixed sizes (half of 64-256 KiB, a third up to 1 MiB, the rest up to 2 MiB); placement picks. */
    private Map<String, Integer> spawnMixed(String prefix, int n, long seed) throws Exception {
        Random r = new Random(seed);
        Map<String, Integer> sizes = new HashMap<>();
        List<Future<ClusterProcess>> spawned = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double kind = r.nextDouble();
            int pages = kind < 0.5 ? 1 + r.nextInt(4) : kind < 0.85 ? 4 + r.nextInt(13) : 16 + r.nextInt(17);
            String id = prefix + i;
            sizes.put(id, pages * (int) PAGE);
            ClusterSpawnRequest req = ClusterSpawnRequest.newBuilder()
                    .setProcessId(id)
                    .setSpec(Guests.sleeper(pages * (int) PAGE))
                    .build();
            spawned.add(callers.submit(() -> api.spawn(req)));
        }
        for (Future<ClusterProcess> f : spawned) {
            assertThat(f.get().getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        }
        // Every sleeper has touched its memory: the loads below are the ones the rebalancer sees.
        await().atMost(Duration.ofSeconds(60))
                .until(() -> list().stream()
                        .allMatch(p ->
                                p.hasInfo() && p.getInfo().getMemoryPages() * PAGE >= sizes.get(p.getProcessId())));
        return sizes;
    }

    private List<ClusterProcess> list() {
        return api.list(ClusterListRequest.getDefaultInstance()).getProcessesList();
    }

    /** Each process's share of demand: memory (weight 2/3) and being a process (1/3); equal node capacities. */
    private static Map<String, Double> shares(List<ClusterProcess> ps) {
        long total = ps.stream().mapToLong(p -> p.getInfo().getMemoryPages()).sum();
        Map<String, Double> out = new HashMap<>();
        for (ClusterProcess p : ps) {
            out.put(p.getProcessId(), 2.0 / 3 * p.getInfo().getMemoryPages() / total + 1.0 / 3 / ps.size());
        }
        return out;
    }

    private static Map<String, Double> loads(List<ClusterProcess> ps, List<String> nodes) {
        Map<String, Double> shares = shares(ps);
        Map<String, Double> loads = new HashMap<>();
        nodes.forEach(n -> loads.put(n, 0.0));
        ps.forEach(p -> loads.merge(p.getNode(), shares.get(p.getProcessId()), Double::sum));
        return loads;
    }

    private static double imbalance(List<ClusterProcess> ps, List<String> nodes) {
        double target = 1.0 / nodes.size();
        return loads(ps, nodes).values().stream()
                .mapToDouble(l -> Math.abs(l - target) / target)
                .max()
                .orElse(0);
    }

    /** {@link MoveLowerBound} of the cluster as listed: the moves no rebalancer can do without. */
    private static int lowerBound(List<ClusterProcess> ps, List<String> nodes, Set<String> unmovable) {
        Map<String, Double> shares = shares(ps);
        Map<String, Double> targets = new HashMap<>();
        Map<String, List<Double>> movable = new HashMap<>();
        for (String n : nodes) {
            targets.put(n, 1.0 / nodes.size());
            movable.put(n, new ArrayList<>());
        }
        ps.stream()
                .filter(p -> !unmovable.contains(p.getProcessId()))
                .forEach(p -> movable.get(p.getNode()).add(shares.get(p.getProcessId())));
        return MoveLowerBound.of(loads(ps, nodes), targets, movable, THRESHOLD);
    }

    private List<ClusterEvent> moves() {
        return events.stream()
                .filter(e -> e.getKind() == ClusterEvent.Kind.KIND_REBALANCE_MOVED)
                .toList();
    }

    private double roundsCounted() {
        Matcher m = Pattern.compile("(?m)^pm_rebalance_rounds_total\\{[^}]*outcome=\"balanced\"[^}]*} (\\S+)$")
                .matcher(cluster.leader().metrics().scrape());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** The most migrations in flight at once, from the started/committed/aborted events: {cluster-wide, on one node}. */
    private int[] mostMigrationsAtOnce() {
        Pattern p = Pattern.compile("^migration (\\S+) (?:from (\\S+) to (\\S+))?");
        Map<String, String[]> open = new HashMap<>();
        Map<String, Integer> perNode = new HashMap<>();
        int[] most = new int[2];
        for (ClusterEvent e : events) {
            Matcher m = p.matcher(e.getDetail());
            if (!m.find()) {
                continue;
            }
            if (e.getKind() == ClusterEvent.Kind.KIND_MIGRATION_STARTED) {
                String[] ends = {m.group(2), m.group(3)};
                open.put(m.group(1), ends);
                for (String n : ends) {
                    most[1] = Math.max(most[1], perNode.merge(n, 1, Integer::sum));
                }
                most[0] = Math.max(most[0], open.size());
            } else if (e.getKind() == ClusterEvent.Kind.KIND_MIGRATION_COMMITTED
                    || e.getKind() == ClusterEvent.Kind.KIND_MIGRATION_ABORTED) {
                String[] ends = open.remove(m.group(1));
                if (ends != null) {
                    for (String n : ends) {
                        perNode.merge(n, -1, Integer::sum);
                    }
                }
            }
        }
        return most;
    }

    @Test
    void anEmptyFourthNodeIsFilledWithinTenSecondsWithAboutTheFewestMoves() throws Exception {
        startCluster("a", "b", "c");
        spawnMixed("p", 300, 42);
        // Whatever the three did among themselves first is done (and those processes are cooling down).
        await().atMost(Duration.ofSeconds(60))
                .until(() -> api.rebalance(RebalanceRequest.newBuilder()
                                                .setDryRun(true)
                                                .build())
                                        .getImbalanceBefore()
                                <= THRESHOLD
                        && roundsCounted() > 0);
        Set<String> cooling = new HashSet<>();
        moves().forEach(e -> cooling.add(e.getProcessId()));
        int movesBefore = moves().size();

        List<String> nodes = List.of("a", "b", "c", "d");
        List<ClusterProcess> before = list();
        int bound = lowerBound(before, nodes, cooling);
        long t0 = System.nanoTime();
        long t0Millis = System.currentTimeMillis();
        cluster.startAgent("d", Map.of(), 1000);

        try {
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> imbalance(list(), nodes) <= THRESHOLD);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            StringBuilder timeline =
                    new StringBuilder("not balanced 10 s after d joined; imbalance " + imbalance(list(), nodes));
            events.stream()
                    .filter(ev -> ev.getTimeMillis() >= t0Millis)
                    .forEach(ev -> timeline.append(String.format(
                            "%n  +%5d ms %s %s", ev.getTimeMillis() - t0Millis, ev.getKind(), ev.getDetail())));
            throw new AssertionError(timeline.toString(), e);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;

        List<ClusterEvent> made = moves().subList(movesBefore, moves().size());
        System.out.printf(
                "rebalancing: %d moves (lower bound %d, %d before d joined) in %.1f s; imbalance %.3f -> %.3f%n",
                made.size(), bound, movesBefore, seconds, imbalance(before, nodes), imbalance(list(), nodes));
        events.stream()
                .filter(e -> e.getKind() == ClusterEvent.Kind.KIND_REBALANCE_PLANNED && e.getTimeMillis() >= t0Millis)
                .forEach(e -> System.out.printf("  +%d ms %s%n", e.getTimeMillis() - t0Millis, e.getDetail()));
        assertThat(made).allSatisfy(e -> assertThat(e.getDetail()).doesNotContain("failed"));
        assertThat(made.size()).isPositive().isLessThanOrEqualTo((int) Math.floor(1.1 * bound));
        Map<String, Set<String>> movedPerRound = new HashMap<>();
        for (ClusterEvent e : made) {
            Matcher m = ROUND.matcher(e.getDetail());
            assertThat(m.find()).as(e.getDetail()).isTrue();
            assertThat(movedPerRound
                            .computeIfAbsent(m.group(1), k -> new HashSet<>())
                            .add(m.group(2)))
                    .as("%s moves once in round %s", m.group(2), m.group(1))
                    .isTrue();
        }
        assertThat(events)
                .filteredOn(e -> e.getKind() == ClusterEvent.Kind.KIND_REBALANCE_PLANNED)
                .isNotEmpty();
        assertThat(mostMigrationsAtOnce())
                .as("migrations at once, cluster-wide and on the busiest node")
                .satisfies(most -> assertThat(most[0]).isLessThanOrEqualTo(RebalanceSettings.DEFAULTS.maxConcurrent()))
                .satisfies(most -> assertThat(most[1]).isLessThanOrEqualTo(RebalanceSettings.DEFAULTS.maxPerNode()));

        // Balanced, it stays put: two more rounds find nothing to do.
        double rounds = roundsCounted();
        int moved = moves().size();
        await().atMost(Duration.ofSeconds(30)).until(() -> roundsCounted() >= rounds + 2);
        assertThat(moves()).hasSize(moved);
        assertThat(list()).allSatisfy(p -> assertThat(p.getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING));
        assertThat(cluster.leader().metrics().scrape())
                .containsPattern("pm_rebalance_moves_total\\{[^}]*outcome=\"done\"[^}]*} " + moved + "\\.0")
                .contains("pm_rebalance_imbalance");
    }

    @Test
    void drainingANodeEmptiesItWithoutAFailedProcessWhileRoundsGoOn() throws Exception {
        startCluster("a", "b", "c");
        Map<String, Integer> sizes = spawnMixed("q", 45, 7);
        long onA = list().stream().filter(p -> p.getNode().equals("a")).count();

        DrainReport report = api.drain(DrainRequest.newBuilder().setNode("a").build());

        assertThat(report.getFailedList()).isEmpty();
        assertThat(report.getMovedCount()).isGreaterThanOrEqualTo((int) onA - moves().size());
        List<ClusterProcess> after = list();
        assertThat(after).hasSize(sizes.size()).allSatisfy(p -> {
            assertThat(p.getNode()).isNotEqualTo("a");
            assertThat(p.getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
            assertThat(p.getInfo().getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        });
        assertThat(cluster.agentStub("a")
                        .list(pm.v1.ListRequest.getDefaultInstance())
                        .getProcessesList())
                .noneMatch(p -> p.getState() == ProcessState.PROCESS_STATE_RUNNING);
        // The rebalancer never sends anything back to a draining node.
        double rounds = roundsCounted();
        await().atMost(Duration.ofSeconds(30)).until(() -> roundsCounted() >= rounds + 2);
        assertThat(list()).noneMatch(p -> p.getNode().equals("a"));
        RebalancePlan plan =
                api.rebalance(RebalanceRequest.newBuilder().setDryRun(true).build());
        assertThat(plan.getBeforeList()).extracting(pm.v1.NodeLoad::getNode).containsExactly("b", "c");
        assertThat(plan.getExecuted()).isFalse();
    }
}
