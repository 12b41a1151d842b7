package pm.coordinator.rebalance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import pm.v1.MigrationReport;

/** The caps on migrations at once, cluster-wide and per node (source and target both count). */
class MoveSchedulerTest {
    private final ExecutorService pool = Executors.newFixedThreadPool(8);

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    /**
     * Moves that record how many run at once, in the cluster and per node. Each holds until as many
     * run as the caps allow ({@code concurrency}, or all that are left), so the maxima recorded are
     * what the scheduler does, not what a timer let overlap.
     */
    private static final class Recorder {
        final Map<String, Integer> perNode = new HashMap<>();
        final Map<String, Integer> mostPerNode = new HashMap<>();
        private final int concurrency;
        private final int total;
        int running;
        int mostRunning;
        int finished;

        Recorder(int concurrency, int total) {
            this.concurrency = concurrency;
            this.total = total;
        }

        MigrationReport migrate(Move m) {
            synchronized (this) {
                running++;
                mostRunning = Math.max(mostRunning, running);
                for (String n : List.of(m.from(), m.to())) {
                    int now = perNode.merge(n, 1, Integer::sum);
                    mostPerNode.merge(n, now, Math::max);
                }
                notifyAll();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                try {
                    while (running < Math.min(concurrency, total - finished) && System.nanoTime() < deadline) {
                        wait(100);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                running--;
                finished++;
                perNode.merge(m.from(), -1, Integer::sum);
                perNode.merge(m.to(), -1, Integer::sum);
                notifyAll();
            }
            if (m.processId().startsWith("bad")) {
                throw new IllegalStateException("no room on " + m.to());
            }
            return MigrationReport.newBuilder()
                    .setProcessId(m.processId())
                    .setTargetNode(m.to())
                    .build();
        }
    }

    private static List<Move> toOneNode(int n) {
        List<Move> moves = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            moves.add(new Move("p" + i, "abc".substring(i % 3, i % 3 + 1), "d", 0.01, 1 << 20));
        }
        return moves;
    }

    @Test
    void neverMoreThanTheCapsAtOnceAndEveryMoveEnds() throws Exception {
        Recorder r = new Recorder(2, 30);
        List<MoveScheduler.Outcome> heard = new ArrayList<>();

        List<MoveScheduler.Outcome> outcomes =
                new MoveScheduler(pool, 6, 2).run(toOneNode(30), r::migrate, () -> true, heard::add);

        assertThat(outcomes).hasSize(30).allMatch(MoveScheduler.Outcome::done);
        assertThat(heard).containsExactlyElementsOf(outcomes);
        assertThat(r.mostPerNode.get("d")).isEqualTo(2);
        assertThat(r.mostRunning).isLessThanOrEqualTo(2);
    }

    @Test
    void theClusterWideCapHoldsWhenNodesDiffer() throws Exception {
        Recorder r = new Recorder(3, 40);
        List<Move> moves = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            moves.add(new Move("p" + i, "s" + i % 10, "t" + i % 10, 0.01, 1 << 20));
        }

        new MoveScheduler(pool, 3, 2).run(moves, r::migrate, () -> true, o -> {});

        assertThat(r.mostRunning).isEqualTo(3);
        assertThat(r.mostPerNode.values()).allMatch(n -> n <= 2);
    }

    @Test
    void aFailedMoveIsReportedAndTheRestGoOn() throws Exception {
        List<Move> moves = new ArrayList<>(toOneNode(4));
        moves.add(1, new Move("bad1", "a", "d", 0.01, 1));

        List<MoveScheduler.Outcome> outcomes =
                new MoveScheduler(pool, 2, 2).run(moves, new Recorder(2, 5)::migrate, () -> true, o -> {});

        assertThat(outcomes)
                .filteredOn(o -> !o.done())
                .singleElement()
                .satisfies(o -> assertThat(o.failure()).isEqualTo("no room on d"));
        assertThat(outcomes).filteredOn(MoveScheduler.Outcome::done).hasSize(4);
    }

    @Test
    void noMoveStartsOnceLeadershipIsLost() throws Exception {
        AtomicBoolean leading = new AtomicBoolean(true);
        CountDownLatch first = new CountDownLatch(1);
        Recorder r = new Recorder(1, 1); // only the first move runs

        List<MoveScheduler.Outcome> outcomes = new MoveScheduler(pool, 1, 1)
                .run(
                        toOneNode(5),
                        m -> {
                            leading.set(false); // lost while the first move runs
                            first.countDown();
                            return r.migrate(m);
                        },
                        leading::get,
                        o -> {});

        assertThat(first.await(1, TimeUnit.SECONDS)).isTrue();
        assertThat(outcomes).hasSize(5);
        assertThat(outcomes).filteredOn(MoveScheduler.Outcome::done).hasSize(1);
        assertThat(outcomes)
                .filteredOn(o -> !o.done())
                .allSatisfy(o -> assertThat(o.failure()).contains("stopped leading"));
    }
}
