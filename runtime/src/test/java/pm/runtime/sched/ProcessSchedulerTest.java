package pm.runtime.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.DoubleStream;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.process.WasiProcess;
import pm.runtime.sched.ScheduledProcess.Status;
import pm.runtime.support.Wat;
import pm.runtime.wasi.WasiSession;

/** Many real processes share a few worker threads fairly; each can be frozen, thawed, woken, held or taken back. */
class ProcessSchedulerTest {
    private static final long FS = 64L << 20;
    private static final long SLICE = 10_000;
    private static final long WAIT_SECONDS = 60;

    /** Counts down 20 000 times (many slices), then writes its argument strings to stdout. */
    private static final String ECHO = "(module"
            + " (import \"wasi_snapshot_preview1\" \"args_sizes_get\" (func $sizes (param i32 i32) (result i32)))"
            + " (import \"wasi_snapshot_preview1\" \"args_get\" (func $args (param i32 i32) (result i32)))"
            + " (import \"wasi_snapshot_preview1\" \"fd_write\" (func $write (param i32 i32 i32 i32) (result i32)))"
            + " (memory 1)"
            + " (func (export \"_start\") (local $i i32)"
            + "  (local.set $i (i32.const 20000))"
            + "  (loop $spin (local.set $i (i32.sub (local.get $i) (i32.const 1))) (br_if $spin (local.get $i)))"
            + "  (drop (call $sizes (i32.const 0) (i32.const 4)))" // argc at 0, bytes of strings at 4
            + "  (drop (call $args (i32.const 16) (i32.const 256)))" // pointers at 16, strings at 256
            + "  (i32.store (i32.const 8) (i32.const 256))" // one iovec at 8: all the strings
            + "  (i32.store (i32.const 12) (i32.load (i32.const 4)))"
            + "  (drop (call $write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 128)))))";

    private static final String LOOP = "(module (memory 1) (func (export \"_start\") (loop (br 0))))";
    private static final String EXIT_7 = "(module"
            + " (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))"
            + " (func (export \"_start\") (call $exit (i32.const 7))))";
    private static final String TRAP = "(module (func (export \"_start\") unreachable))";

    private static CompiledModule echo;
    private static CompiledModule loop;
    private static CompiledModule sleepForAnHour;
    private static CompiledModule sleep200Ms;
    private static CompiledModule exit7;
    private static CompiledModule trap;
    private static CompiledModule longStraightLoop;

    @BeforeAll
    static void compile() {
        echo = wat(ECHO);
        loop = wat(LOOP);
        sleepForAnHour = wat(sleeper(TimeUnit.HOURS.toNanos(1)));
        sleep200Ms = wat(sleeper(TimeUnit.MILLISECONDS.toNanos(200)));
        exit7 = wat(EXIT_7);
        trap = wat(TRAP);
        // A loop whose body is thousands of instructions with no safepoint: most slices of 500
        // end out of fuel, not at a back-edge, so a freeze request is often left unconsumed.
        longStraightLoop = wat("(module (func (export \"_start\") (local i32) (loop "
                + "(local.set 0 (i32.add (local.get 0) (i32.const 1)))".repeat(2000) + " (br 0))))");
    }

    /** Sleeps once with poll_oneoff (one relative monotonic clock subscription), then returns. */
    private static String sleeper(long nanos) {
        return "(module"
                + " (import \"wasi_snapshot_preview1\" \"poll_oneoff\" (func $poll (param i32 i32 i32 i32) (result i32)))"
                + " (memory 1)"
                + " (func (export \"_start\")"
                + "  (i32.store (i32.const 16) (i32.const 1))" // subscription at 0: tag 0 (clock), clock id 1
                // (monotonic)
                + "  (i64.store (i32.const 24) (i64.const " + nanos + "))" // relative timeout
                + "  (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))";
    }

    private static CompiledModule wat(String text) {
        return CompiledModule.compile(Wat.toWasm(text));
    }

    private static WasiProcess start(CompiledModule module) {
        return start(module, WasiSession.builder());
    }

    private static WasiProcess start(CompiledModule module, WasiSession.Builder session) {
        return WasiProcess.start(module, session.build(), Limits.DEFAULT, FS);
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static final Consumer<ScheduledProcess> IGNORE = p -> {};

    @Test
    void manyProcessesRunInSlicesAndAllFinishWithTheirOutput() throws Exception {
        int n = 100;
        CountDownLatch ended = new CountDownLatch(n);
        List<ByteArrayOutputStream> outputs = new ArrayList<>();
        List<ScheduledProcess> handles = new ArrayList<>();
        // Slices of 100 instructions (4 000 compiled): the 80 000 of the count-down take many in either tier.
        try (ProcessScheduler scheduler = new ProcessScheduler(2, 100)) {
            for (int i = 0; i < n; i++) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                outputs.add(out);
                WasiSession.Builder session =
                        WasiSession.builder().args(List.of("echo", "p" + i)).stdout(out::write);
                handles.add(scheduler.add(start(echo, session), false, p -> ended.countDown()));
            }

            assertThat(ended.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(scheduler.size()).isZero();
        }
        for (int i = 0; i < n; i++) {
            ScheduledProcess h = handles.get(i);
            assertThat(h.status()).isEqualTo(Status.ENDED);
            assertThat(h.process().state()).isEqualTo(WasiProcess.State.EXITED);
            assertThat(h.slices()).isGreaterThan(10);
            assertThat(outputs.get(i).toString(StandardCharsets.UTF_8)).isEqualTo("echo\0p" + i + "\0");
        }
    }

    @Test
    void runawayLoopsDoNotKeepOthersFromFinishing() throws Exception {
        CountDownLatch ended = new CountDownLatch(20);
        try (ProcessScheduler scheduler = new ProcessScheduler(2, SLICE)) {
            List<ScheduledProcess> runaways = new ArrayList<>();
            for (int i = 0; i < 3; i++) { // more runaways than workers
                runaways.add(scheduler.add(start(loop), false, IGNORE));
            }
            for (int i = 0; i < 20; i++) {
                scheduler.add(start(echo), false, p -> ended.countDown());
            }

            assertThat(ended.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(runaways).allSatisfy(r -> assertThat(r.status()).isIn(Status.QUEUED, Status.RUNNING));
            assertThat(scheduler.size()).isEqualTo(3);
        }
    }

    @Test
    void runnableProcessesGetEqualFuel() {
        int n = 200;
        List<ScheduledProcess> handles = new ArrayList<>();
        long[] baseFuel = new long[n];
        long[] baseSlices = new long[n];
        try (ProcessScheduler scheduler = new ProcessScheduler(2, SLICE)) {
            for (int i = 0; i < n; i++) {
                handles.add(scheduler.add(start(loop), false, IGNORE));
            }
            // The first ones ran alone while the others were being created: count from the moment
            // all of them have been through the queue once.
            await("every loop ran once", () -> handles.stream().allMatch(h -> h.slices() >= 1));
            for (int i = 0; i < n; i++) {
                baseFuel[i] = handles.get(i).fuelUsed();
                baseSlices[i] = handles.get(i).slices();
            }
            await(
                    "every loop ran 50 slices more",
                    () -> IntStream.range(0, n).allMatch(i -> handles.get(i).slices() >= baseSlices[i] + 50));
        } // closed: the counters hold still
        long[] fuel = IntStream.range(0, n)
                .mapToLong(i -> handles.get(i).fuelUsed() - baseFuel[i])
                .toArray();
        double[] perSlice = IntStream.range(0, n)
                .mapToDouble(i -> (double) fuel[i] / (handles.get(i).slices() - baseSlices[i]))
                .toArray();

        assertThat(LongStream.of(fuel).min().orElseThrow()).as("nobody starved").isGreaterThanOrEqualTo(50 * SLICE);
        // Equal fuel per turn. Totals are not compared: at load 10-40 the OS may park a worker
        // mid-slice while the other serves everyone else many rounds (the ratio of totals once
        // reached 1.51 in CI), which says nothing about this scheduler.
        // (a turn under way when the scheduler closed counts as a slice with part of its fuel)
        assertThat(DoubleStream.of(perSlice).min().orElseThrow()).isGreaterThanOrEqualTo(0.9 * SLICE);
        assertThat(DoubleStream.of(perSlice).max().orElseThrow()
                        / DoubleStream.of(perSlice).min().orElseThrow())
                .isLessThanOrEqualTo(1.1);
    }

    @Test
    void compiledCodeRunsSlicesOfTheFactorMoreInstructionsSoThatTheTiersGetEqualTime() throws Exception {
        try (ProcessScheduler scheduler = new ProcessScheduler(1, SLICE)) {
            ScheduledProcess interpreted = scheduler.add(
                    WasiProcess.start(
                            loop, WasiSession.builder().build(), Limits.DEFAULT.withTier(Machine.Tier.INTERP), FS),
                    false,
                    IGNORE);
            ScheduledProcess compiled = scheduler.add(
                    WasiProcess.start(
                            loop, WasiSession.builder().build(), Limits.DEFAULT.withTier(Machine.Tier.COMPILED), FS),
                    false,
                    IGNORE);
            await("both ran several slices", () -> interpreted.slices() >= 4 && compiled.slices() >= 4);
            get(interpreted.freeze());
            get(compiled.freeze());

            assertThat(interpreted.fuelUsed()).isLessThanOrEqualTo(interpreted.slices() * SLICE);
            // The first slice starts before the code is known to be compiled, the last may be cut by the freeze.
            assertThat(compiled.fuelUsed())
                    .isGreaterThanOrEqualTo((compiled.slices() - 2) * SLICE * ProcessScheduler.COMPILED_SLICE_FACTOR);
        }
    }

    @Test
    void aCpuQuotaHoldsALoopToItsInstructionsPerSecondWhileAnotherRunsFreely() throws Exception {
        long perSecond = 2_000_000;
        try (ProcessScheduler scheduler = new ProcessScheduler(1, SLICE)) {
            long t0 = System.nanoTime();
            ScheduledProcess limited = scheduler.add(start(loop), true, IGNORE);
            limited.limitFuelPerSecond(perSecond);
            limited.thaw();
            ScheduledProcess free = scheduler.add(start(loop), false, IGNORE);
            await("the free loop ran past what the quota allows in a second", () -> free.fuelUsed() > 2 * perSecond);
            await("the limited loop ran too", () -> limited.fuelUsed() > 0);
            get(limited.freeze());
            double seconds = (System.nanoTime() - t0) / 1e9;

            // The bucket starts with a tenth of a second's fuel; then it is earned at the rate. A loaded machine only
            // makes the bound looser.
            assertThat(limited.fuelUsed()).isLessThanOrEqualTo((long) (perSecond * (seconds + 0.1)) + SLICE);
            assertThat(limited.status()).isEqualTo(Status.FROZEN);
        }
    }

    @Test
    void freezeStopsARunningSliceAtASafepointAndThawContinuesIt() throws Exception {
        try (ProcessScheduler scheduler = new ProcessScheduler(1, Long.MAX_VALUE)) { // a slice never runs out
            ScheduledProcess h = scheduler.add(start(loop), false, IGNORE);
            await("the loop is running", () -> h.status() == Status.RUNNING);

            get(h.freeze());

            assertThat(h.status()).isEqualTo(Status.FROZEN);
            assertThat(h.process().state()).isEqualTo(WasiProcess.State.FROZEN);
            assertThat(h.slices()).isEqualTo(1);
            long fuel = h.fuelUsed();
            assertThat(fuel).isPositive();
            assertThat(scheduler.frozen()).isEqualTo(1);
            assertThat(scheduler.running()).isZero();

            h.thaw();
            await("the loop runs again", () -> h.status() == Status.RUNNING);
            get(h.freeze());

            assertThat(h.slices()).isEqualTo(2);
            assertThat(h.fuelUsed()).isGreaterThan(fuel);
        }
    }

    @Test
    void aFrozenProcessUsesNoFuelUntilThawed() throws Exception {
        try (ProcessScheduler scheduler = new ProcessScheduler(1, SLICE)) {
            ScheduledProcess a = scheduler.add(start(loop), false, IGNORE);
            ScheduledProcess b = scheduler.add(start(loop), false, IGNORE);
            await("a ran", () -> a.slices() >= 3);

            get(a.freeze());
            long fuel = a.fuelUsed();
            long retired = a.process().instructionsRetired();
            long bSlices = b.slices();
            await("b ran 50 more slices", () -> b.slices() >= bSlices + 50);

            assertThat(a.status()).isEqualTo(Status.FROZEN);
            assertThat(a.fuelUsed()).isEqualTo(fuel);
            assertThat(a.process().instructionsRetired()).isEqualTo(retired);

            a.thaw();
            await("a runs again", () -> a.fuelUsed() > fuel);
        }
    }

    @Test
    void aFreezeThatNoSafepointHonouredDoesNotLingerAfterThaw() throws Exception {
        try (ProcessScheduler scheduler = new ProcessScheduler(1, 500)) {
            ScheduledProcess h = scheduler.add(start(longStraightLoop), false, IGNORE);
            for (int round = 0; round < 30; round++) {
                get(h.freeze());
                assertThat(h.status()).isEqualTo(Status.FROZEN);
                h.thaw();
                long slices = h.slices();
                // 100 slices of 500 pass many back-edges: a request left pending would freeze it there.
                await(
                        "the thawed process runs on, or stops",
                        () -> h.slices() >= slices + 100 || h.status() == Status.FROZEN);
                assertThat(h.status()).isNotEqualTo(Status.FROZEN);
            }
        }
    }

    @Test
    void aSleepingProcessIsFrozenAtOnceAndStaysFrozenThroughWakes() throws Exception {
        try (ProcessScheduler scheduler = new ProcessScheduler(2, SLICE)) {
            ScheduledProcess h = scheduler.add(start(sleepForAnHour), false, IGNORE);
            await("it sleeps", () -> h.status() == Status.SLEEPING);
            assertThat(scheduler.sleeping()).isEqualTo(1);

            get(h.freeze());
            h.wake();

            assertThat(h.status()).isEqualTo(Status.FROZEN);
            assertThat(scheduler.sleeping()).isZero();
            assertThat(scheduler.frozen()).isEqualTo(1);
            assertThat(h.slices()).isEqualTo(1);

            h.thaw(); // runs, finds its deadline still ahead, sleeps again
            await("it ran once more and sleeps", () -> h.slices() == 2 && h.status() == Status.SLEEPING);
            assertThat(h.process().state()).isEqualTo(WasiProcess.State.SLEEPING);
        }
    }

    @Test
    void sleepingProcessesHoldNoWorker() throws Exception {
        CountDownLatch computed = new CountDownLatch(1);
        try (ProcessScheduler scheduler = new ProcessScheduler(2, SLICE)) {
            List<ScheduledProcess> sleepers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                sleepers.add(scheduler.add(start(sleepForAnHour), false, IGNORE));
            }
            await("all 50 sleep", () -> scheduler.sleeping() == 50);

            scheduler.add(start(echo), false, p -> computed.countDown());

            assertThat(computed.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(sleepers).allSatisfy(s -> {
                assertThat(s.status()).isEqualTo(Status.SLEEPING);
                assertThat(s.slices()).isEqualTo(1);
            });
            assertThat(scheduler.runQueueLength()).isZero();
        }
    }

    @Test
    void theTimerWakesSleepersWhenTheirDeadlineComes() throws Exception {
        CountDownLatch ended = new CountDownLatch(51);
        List<ScheduledProcess> sleepers = new ArrayList<>();
        try (ProcessScheduler scheduler = new ProcessScheduler(2, SLICE)) {
            for (int i = 0; i < 50; i++) {
                sleepers.add(scheduler.add(start(sleep200Ms), false, p -> ended.countDown()));
            }
            scheduler.add(start(echo), false, p -> ended.countDown());

            assertThat(ended.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(scheduler.size()).isZero();
        }
        assertThat(sleepers).allSatisfy(s -> {
            assertThat(s.process().state()).isEqualTo(WasiProcess.State.EXITED);
            assertThat(s.slices()).isGreaterThanOrEqualTo(2); // slept, then ran again
        });
    }

    @Test
    void wakeQueuesASleeperAtOnce() {
        try (ProcessScheduler scheduler = new ProcessScheduler(2, SLICE)) {
            ScheduledProcess h = scheduler.add(start(sleepForAnHour), false, IGNORE);
            await("it sleeps", () -> h.status() == Status.SLEEPING);

            h.wake();

            await("it ran again and sleeps", () -> h.slices() == 2 && h.status() == Status.SLEEPING);
        }
    }

    @Test
    void whileParkedRunsTheActionOffTheWorkersWhileOthersRunThenTheProcessGoesOn() throws Exception {
        try (ProcessScheduler scheduler = new ProcessScheduler(2, SLICE)) {
            ScheduledProcess a = scheduler.add(start(loop), false, IGNORE);
            ScheduledProcess b = scheduler.add(start(loop), false, IGNORE);
            await("a ran", () -> a.slices() >= 3);

            String seen = get(a.whileParked(() -> {
                long retired = a.process().instructionsRetired();
                long bSlices = b.slices();
                await("b ran 20 slices meanwhile", () -> b.slices() >= bSlices + 20);
                return a.status() + " " + (a.process().instructionsRetired() - retired);
            }));

            assertThat(seen).isEqualTo("QUEUED 0");
            long slices = a.slices();
            await("a goes on", () -> a.slices() > slices);
        }
    }

    @Test
    void whileParkedKeepsAFrozenProcessFrozenAndASleeperAsleep() throws Exception {
        try (ProcessScheduler scheduler = new ProcessScheduler(2, SLICE)) {
            ScheduledProcess frozen = scheduler.add(start(loop), true, IGNORE);
            ScheduledProcess sleeper = scheduler.add(start(sleepForAnHour), false, IGNORE);
            await("it sleeps", () -> sleeper.status() == Status.SLEEPING);
            Thread caller = Thread.currentThread();

            assertThat(get(frozen.whileParked(() -> Thread.currentThread() == caller)))
                    .isTrue();
            assertThat(get(sleeper.whileParked(() -> sleeper.process().state())))
                    .isEqualTo(WasiProcess.State.SLEEPING);

            assertThat(frozen.status()).isEqualTo(Status.FROZEN);
            assertThat(frozen.slices()).isZero();
            assertThat(sleeper.status()).isEqualTo(Status.SLEEPING);
            assertThat(sleeper.slices()).isEqualTo(1);
        }
    }

    @Test
    void removeHandsTheProcessBackAndStopsSchedulingIt() throws Exception {
        try (ProcessScheduler scheduler = new ProcessScheduler(2, SLICE)) {
            ScheduledProcess a = scheduler.add(start(loop), false, IGNORE);
            ScheduledProcess b = scheduler.add(start(loop), false, IGNORE);
            await("a ran", () -> a.slices() >= 3);

            WasiProcess taken = get(a.remove());

            assertThat(taken).isSameAs(a.process());
            assertThat(a.status()).isEqualTo(Status.REMOVED);
            assertThat(scheduler.size()).isEqualTo(1);
            long slices = a.slices();
            long bSlices = b.slices();
            await("b ran 20 more slices", () -> b.slices() >= bSlices + 20);
            assertThat(a.slices()).isEqualTo(slices);
            assertThat(taken.run(1_000)).isEqualTo(WasiProcess.State.RUNNABLE); // the taker runs it now
            assertThatThrownBy(() -> get(a.freeze())).isInstanceOf(ExecutionException.class);
            assertThatThrownBy(() -> get(a.whileParked(() -> 1))).isInstanceOf(ExecutionException.class);
        }
    }

    @Test
    void onEndReportsAnExitOnce() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CompletableFuture<ScheduledProcess> ended = new CompletableFuture<>();
        try (ProcessScheduler scheduler = new ProcessScheduler(2, SLICE)) {
            ScheduledProcess h = scheduler.add(start(exit7), false, p -> {
                calls.incrementAndGet();
                ended.complete(p);
            });

            assertThat(get(ended)).isSameAs(h);
            assertThat(h.status()).isEqualTo(Status.ENDED);
            assertThat(h.process().state()).isEqualTo(WasiProcess.State.EXITED);
            assertThat(h.process().exitStatus()).isEqualTo(7);
            assertThatThrownBy(() -> get(h.freeze())).isInstanceOf(ExecutionException.class);
        }
        assertThat(calls).hasValue(1);
    }

    @Test
    void onEndReportsATrap() throws Exception {
        CompletableFuture<ScheduledProcess> ended = new CompletableFuture<>();
        try (ProcessScheduler scheduler = new ProcessScheduler(2, SLICE)) {
            ScheduledProcess h = scheduler.add(start(trap), false, ended::complete);

            assertThat(get(ended)).isSameAs(h);
            assertThat(h.process().state()).isEqualTo(WasiProcess.State.FAILED);
            assertThat(h.process().failure()).isEqualTo("unreachable");
            assertThat(h.error()).isNull();
        }
    }

    @Test
    void anExceptionFromTheRuntimeEndsOnlyThatProcess() throws Exception {
        CompletableFuture<ScheduledProcess> broken = new CompletableFuture<>();
        CompletableFuture<ScheduledProcess> after = new CompletableFuture<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ProcessScheduler scheduler = new ProcessScheduler(1, SLICE)) {
            WasiSession.Builder failingSink = WasiSession.builder()
                    .args(List.of("x"))
                    .stdout((b, off, len) -> {
                        throw new IllegalStateException("sink is gone");
                    });
            ScheduledProcess h = scheduler.add(start(echo, failingSink), false, broken::complete);
            assertThat(get(broken)).isSameAs(h);

            scheduler.add(
                    start(echo, WasiSession.builder().args(List.of("y")).stdout(out::write)), false, after::complete);

            get(after); // the one worker survived
            assertThat(h.status()).isEqualTo(Status.ENDED);
            assertThat(h.error()).isInstanceOf(IllegalStateException.class).hasMessage("sink is gone");
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("y\0");
    }

    @Test
    void aSliceUnderWayWhenThePermitLapsesStopsAtASafepointAndWaitsForIt() {
        Permit permit = new Permit();
        try (ProcessScheduler scheduler = new ProcessScheduler(1, Long.MAX_VALUE, permit)) {
            ScheduledProcess h = scheduler.add(start(loop), false, IGNORE);
            await("the endless slice runs", () -> h.status() == Status.RUNNING);

            permit.granted.set(false);

            await("the slice is cut short and the process waits in the queue", () -> h.status() == Status.QUEUED);
            long retired = h.process().instructionsRetired();
            int before = permit.workerAsks.get();
            await("the worker asks again and again", () -> permit.workerAsks.get() > before + 5);
            assertThat(h.slices()).isEqualTo(1);
            assertThat(h.process().instructionsRetired()).isEqualTo(retired);

            permit.granted.set(true);

            await("it runs again", () -> h.status() == Status.RUNNING);
            permit.granted.set(false);
            await("its second slice is cut short too", () -> h.slices() == 2 && h.status() == Status.QUEUED);
        }
    }

    @Test
    void aSleeperWokenAfterThePermitLapsedRunsNoSliceUntilItIsBack() {
        Permit permit = new Permit();
        try (ProcessScheduler scheduler = new ProcessScheduler(1, SLICE, permit)) {
            ScheduledProcess h = scheduler.add(start(sleepForAnHour), false, IGNORE);
            await(
                    "it sleeps and the worker, past the permit, waits for the queue",
                    () -> h.status() == Status.SLEEPING && workerState() == Thread.State.WAITING);
            permit.granted.set(false);
            int before = permit.workerAsks.get();

            h.wake();

            await("the worker took it and went round", () -> permit.workerAsks.get() > before + 2);
            assertThat(h.slices()).isEqualTo(1);
            assertThat(h.status()).isEqualTo(Status.QUEUED);

            permit.granted.set(true);

            await("it ran again and sleeps", () -> h.slices() == 2 && h.status() == Status.SLEEPING);
        }
    }

    /** The state of the one worker thread of a scheduler of one (WAITING: blocked on the run queue). */
    private static Thread.State workerState() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("pm-sched-0"))
                .map(Thread::getState)
                .findFirst()
                .orElseThrow();
    }

    /** The embedder's permit to run; counts how often the workers (not the timer) asked it. */
    private static final class Permit implements BooleanSupplier {
        final AtomicBoolean granted = new AtomicBoolean(true);
        final AtomicInteger workerAsks = new AtomicInteger();

        @Override
        public boolean getAsBoolean() {
            if (!Thread.currentThread().getName().equals("pm-sched-timer")) {
                workerAsks.incrementAndGet();
            }
            return granted.get();
        }
    }

    @Test
    void closeCutsEndlessSlicesShortAndLeavesEveryProcessInItsHandle() throws Exception {
        List<ScheduledProcess> handles = new ArrayList<>();
        ProcessScheduler scheduler = new ProcessScheduler(2, Long.MAX_VALUE);
        for (int i = 0; i < 3; i++) {
            handles.add(scheduler.add(start(loop), false, IGNORE));
        }
        await("both workers run a loop", () -> scheduler.running() == 2);

        scheduler.close();
        scheduler.close();

        assertThat(handles).extracting(ScheduledProcess::status).containsOnly(Status.QUEUED);
        assertThat(scheduler.size()).isEqualTo(3);
        assertThat(handles.stream().map(h -> h.remove().join()).collect(Collectors.toList()))
                .containsExactlyElementsOf(
                        handles.stream().map(ScheduledProcess::process).collect(Collectors.toList()));
        assertThat(scheduler.size()).isZero();
        assertThatThrownBy(() -> scheduler.add(start(loop), false, IGNORE)).isInstanceOf(IllegalStateException.class);
    }

    /**
     * Waits for what the scheduler's threads make true, polled from the test's thread every 2 ms (a state
     * may be brief). The limit is generous (the machine may be busy): it only turns a hang into a failure
     * that names what never happened, and says nothing about speed.
     */
    private static void await(String what, Callable<Boolean> condition) {
        Awaitility.await(what)
                .atMost(Duration.ofMinutes(2))
                .pollInSameThread()
                .pollInterval(Duration.ofMillis(2))
                .until(condition);
    }
}
