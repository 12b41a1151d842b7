package pm.coordinator.rebalance;

import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.coordinator.ClusterException;
import pm.coordinator.CoordinatorMetrics;
import pm.coordinator.events.EventHub;
import pm.coordinator.migration.MigrationOrchestrator;
import pm.coordinator.zk.OwnershipStore;
import pm.v1.ClusterEvent;
import pm.v1.MigrationReport;
import pm.v1.OwnershipRecord;
import pm.v1.RebalancePlan;

/**
 * The leader's rebalancing rounds. A round samples the load, and when the imbalance passes the
 * threshold plans moves to the tighter band and runs them through the {@link MigrationOrchestrator}
 * under the caps; after a round that acted, no automatic round starts for the cooldown. Rounds come
 * from the loop (every interval, while this coordinator leads; its own thread) and from
 * {@code Rebalance} calls (a gRPC thread); one round runs at a time (the round lock, which also
 * confines the sampler). Moves run on a pool of {@code maxConcurrent} threads. Lifecycle
 * LATENT → STARTED → CLOSED in {@code state}; close is idempotent.
 */
public final class Rebalancer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Rebalancer.class);

    private enum State {
        LATENT,
        STARTED,
        CLOSED
    }

    private final RebalanceSettings settings;
    private final LoadSampler sampler;
    private final MigrationOrchestrator migrations;
    private final OwnershipStore store;
    private final RecentMoves recent;
    private final EventHub events;
    private final CoordinatorMetrics metrics;
    private final BooleanSupplier leading;
    private final Clock clock;
    private final ScheduledExecutorService loop;
    private final ExecutorService movers;
    private final ReentrantLock round = new ReentrantLock();
    private final AtomicLong rounds = new AtomicLong();
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    /** When the next automatic round may start (clock millis); written under the round lock. */
    private volatile long quietUntilMillis;

    public Rebalancer(
            RebalanceSettings settings,
            LoadSampler sampler,
            MigrationOrchestrator migrations,
            OwnershipStore store,
            RecentMoves recent,
            EventHub events,
            CoordinatorMetrics metrics,
            BooleanSupplier leading,
            Clock clock,
            String name) {
        this.settings = settings;
        this.sampler = sampler;
        this.migrations = migrations;
        this.store = store;
        this.recent = recent;
        this.events = events;
        this.metrics = metrics;
        this.leading = leading;
        this.clock = clock;
        this.loop = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "pm-rebalancer-" + name));
        this.movers =
                Executors.newFixedThreadPool(settings.maxConcurrent(), r -> daemon(r, "pm-rebalancer-move-" + name));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Starts the automatic loop, if the settings enable it. */
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("rebalancer already started");
        }
        if (settings.enabled()) {
            long every = settings.interval().toMillis();
            loop.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
        }
    }

    private void tick() {
        if (state.get() != State.STARTED
                || !leading.getAsBoolean()
                || clock.millis() < quietUntilMillis
                || !round.tryLock()) {
            return;
        }
        try {
            runRound(true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("rebalancing round failed; trying again next interval", e);
        } finally {
            round.unlock();
        }
    }

    /** One round now, for a {@code Rebalance} call: the plan only with {@code dryRun}, else the plan run. */
    public RebalancePlan rebalance(boolean dryRun) throws InterruptedException {
        if (state.get() != State.STARTED) {
            throw new ClusterException(ClusterException.Reason.UNAVAILABLE, "the rebalancer is not running");
        }
        round.lockInterruptibly();
        try {
            return runRound(!dryRun);
        } finally {
            round.unlock();
        }
    }

    /** Under the round lock. */
    private RebalancePlan runRound(boolean execute) throws InterruptedException {
        long sampling = System.nanoTime();
        ClusterLoad load = sampler.sample(settings.recentMoveCooldown());
        long sampledMillis = (System.nanoTime() - sampling) / 1_000_000;
        double before = load.imbalance();
        metrics.imbalance(before);
        Plan plan;
        if (before <= settings.threshold()) {
            plan = new Plan(
                    load,
                    List.of(),
                    load.loads(),
                    before,
                    before,
                    String.format(
                            Locale.ROOT,
                            "balanced: imbalance %.1f%% is within the threshold %.1f%%",
                            before * 100,
                            settings.threshold() * 100));
        } else {
            plan = RebalancePlanner.plan(load, settings.planBand());
        }
        RebalancePlan.Builder report = Plans.toProto(plan).toBuilder();
        if (!execute) {
            return report.build();
        }
        long n = rounds.incrementAndGet();
        if (plan.moves().isEmpty()) {
            metrics.rebalanceRound(before <= settings.threshold() ? "balanced" : "stuck");
            if (before > settings.threshold()) {
                events.publish(
                        ClusterEvent.Kind.KIND_REBALANCE_PLANNED,
                        "",
                        "",
                        0,
                        String.format(
                                Locale.ROOT,
                                "round %d: 0 moves, imbalance %.1f%% stays (%s)",
                                n,
                                before * 100,
                                plan.reason()));
                quietUntilMillis = clock.millis() + settings.cooldown().toMillis();
            }
            return report.setExecuted(true).build();
        }
        metrics.rebalanceRound("moved");
        events.publish(
                ClusterEvent.Kind.KIND_REBALANCE_PLANNED,
                "",
                "",
                0,
                String.format(
                        Locale.ROOT,
                        "round %d: %d moves, imbalance %.1f%% -> %.1f%% (threshold %.1f%%, band %.1f%%; sampled in %d ms)%s",
                        n,
                        plan.moves().size(),
                        before * 100,
                        plan.imbalanceAfter() * 100,
                        settings.threshold() * 100,
                        settings.planBand() * 100,
                        sampledMillis,
                        plan.reason().isEmpty() ? "" : "; " + plan.reason()));
        MoveScheduler scheduler = new MoveScheduler(movers, settings.maxConcurrent(), settings.maxPerNode());
        List<MoveScheduler.Outcome> outcomes = scheduler.run(plan.moves(), this::move, leading, o -> moved(n, o));
        for (MoveScheduler.Outcome o : outcomes) {
            if (o.done()) {
                report.addDone(o.report());
            } else {
                report.addFailed(o.move().processId() + ": " + o.failure());
            }
        }
        quietUntilMillis = clock.millis() + settings.cooldown().toMillis();
        return report.setExecuted(true).build();
    }

    /** On a mover thread: one planned move, unless the process has moved or started moving since the sample. */
    private MigrationReport move(Move m) {
        OwnershipRecord now = store.get(m.processId()).value();
        if (!now.getOwner().equals(m.from()) || !now.getMigrationId().isEmpty()) {
            throw new ClusterException(
                    ClusterException.Reason.CONFLICT,
                    "process " + m.processId() + " moved or started moving since the plan (owner " + now.getOwner()
                            + ")");
        }
        MigrationReport r = migrations.migrate(m.processId(), m.to(), 0);
        recent.moved(m.processId());
        return r;
    }

    private void moved(long n, MoveScheduler.Outcome o) {
        Move m = o.move();
        metrics.rebalanceMove(o.done() ? "done" : "failed");
        String what = String.format(
                Locale.ROOT,
                "round %d: %s %s -> %s (%.2f%% of demand, %d KiB)",
                n,
                m.processId(),
                m.from(),
                m.to(),
                m.share() * 100,
                m.memoryBytes() >> 10);
        events.publish(
                ClusterEvent.Kind.KIND_REBALANCE_MOVED,
                m.processId(),
                m.to(),
                o.done() ? o.report().getEpoch() : 0,
                o.done() ? what : what + " failed: " + o.failure());
    }

    /** Rounds that ran for real (not dry runs) since this coordinator started. */
    public long rounds() {
        return rounds.get();
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return;
        }
        loop.shutdownNow();
        movers.shutdownNow();
    }
}
