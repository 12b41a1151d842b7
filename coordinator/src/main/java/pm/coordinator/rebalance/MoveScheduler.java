package pm.coordinator.rebalance;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import pm.v1.MigrationReport;

/**
 * Runs a plan's moves side by side under two caps: at most {@code maxConcurrent} migrations in the
 * cluster and at most {@code maxPerNode} touching any one node (as source or as target). Moves start in
 * plan order as soon as both caps allow; once {@code leading} turns false no more start. Each move runs
 * on {@code pool}; the bookkeeping (counts per node, what is left) stays on the calling thread.
 */
public final class MoveScheduler {
    /** What became of one move: a report, or why it failed. */
    public record Outcome(Move move, MigrationReport report, String failure) {
        public boolean done() {
            return report != null;
        }
    }

    private final ExecutorService pool;
    private final int maxConcurrent;
    private final int maxPerNode;

    public MoveScheduler(ExecutorService pool, int maxConcurrent, int maxPerNode) {
        this.pool = pool;
        this.maxConcurrent = maxConcurrent;
        this.maxPerNode = maxPerNode;
    }

    /** Runs every move with {@code migrate} (which throws on failure); {@code done} hears each outcome as it ends. */
    public List<Outcome> run(
            List<Move> moves, Function<Move, MigrationReport> migrate, BooleanSupplier leading, Consumer<Outcome> done)
            throws InterruptedException {
        CompletionService<Outcome> finished = new ExecutorCompletionService<>(pool);
        List<Move> waiting = new ArrayList<>(moves);
        Map<String, Integer> perNode = new HashMap<>();
        List<Outcome> outcomes = new ArrayList<>();
        int running = 0;
        while (!waiting.isEmpty() || running > 0) {
            if (!leading.getAsBoolean()) {
                for (Move m : waiting) {
                    Outcome o = new Outcome(m, null, "not started: this coordinator stopped leading");
                    outcomes.add(o);
                    done.accept(o);
                }
                waiting.clear();
            }
            for (Iterator<Move> it = waiting.iterator(); it.hasNext() && running < maxConcurrent; ) {
                Move m = it.next();
                if (perNode.getOrDefault(m.from(), 0) >= maxPerNode || perNode.getOrDefault(m.to(), 0) >= maxPerNode) {
                    continue;
                }
                it.remove();
                perNode.merge(m.from(), 1, Integer::sum);
                perNode.merge(m.to(), 1, Integer::sum);
                running++;
                finished.submit(() -> {
                    try {
                        return new Outcome(m, migrate.apply(m), null);
                    } catch (RuntimeException e) {
                        return new Outcome(m, null, String.valueOf(e.getMessage()));
                    }
                });
            }
            if (running == 0) {
                continue;
            }
            Outcome o;
            try {
                o = finished.take().get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("a move task failed outside its own handling", e.getCause());
            }
            running--;
            perNode.merge(o.move().from(), -1, Integer::sum);
            perNode.merge(o.move().to(), -1, Integer::sum);
            outcomes.add(o);
            done.accept(o);
        }
        return outcomes;
    }
}
