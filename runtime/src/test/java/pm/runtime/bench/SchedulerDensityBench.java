package pm.runtime.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.process.WasiProcess;
import pm.runtime.sched.ProcessScheduler;
import pm.runtime.sched.ScheduledProcess;
import pm.runtime.wasi.WasiSession;

/**
 * How many processes one {@link ProcessScheduler} holds and how it shares two workers among them:
 * 10 000 parked (frozen) processes plus 1 000 runnable endless loops of a one-page module, run for
 * 10 s. Prints the heap they take, the threads alive, slices and fuel per second, the fairness
 * (max/min fuel per runnable process over the window) and the latency of {@code freeze()}. See
 * README.md here.
 */
public final class SchedulerDensityBench {
    private static final int PARKED = 10_000;
    private static final int RUNNABLE = 1_000;
    private static final int WORKERS = 2;
    private static final long FUEL_PER_SLICE = 100_000;
    private static final long WARMUP_SECONDS = 2;
    private static final long MEASURE_SECONDS = 10;
    private static final int FREEZES = 100;
    /**
     * Small limits: a machine allocates its value stack (up to 64 Ki slots) and frame arrays (per
     * allowed call) up front, about 750 KB per process under {@link Limits#DEFAULT}, which would
     * not fit 11 000 processes in a default heap. One page of memory, 64 calls deep, 1 Ki slots.
     */
    private static final Limits LIMITS = new Limits(1, 64, 1024);

    /**
     * (module (memory 1) (func (export "_start") (loop (br 0)))), assembled by hand so that the
     * benchmark needs no wat2wasm.
     */
    private static final byte[] SPIN = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // types: () -> ()
        0x03, 0x02, 0x01, 0x00, // functions: one of type 0
        0x05, 0x03, 0x01, 0x00, 0x01, // memory: min 1 page
        0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00, // export "_start" = function 0
        0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, // code: loop br 0 end end
    };

    private SchedulerDensityBench() {}

    public static void main(String[] args) throws Exception {
        System.out.printf(
                "scheduler density: %d parked + %d runnable endless loops, %d workers, %d fuel per slice,"
                        + " %d s warm-up, %d s measured%n",
                PARKED, RUNNABLE, WORKERS, FUEL_PER_SLICE, WARMUP_SECONDS, MEASURE_SECONDS);
        System.out.println(InterpreterSpeedBench.host());
        CompiledModule module = CompiledModule.compile(SPIN);
        long heapBefore = heapUsedAfterGc();
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        Consumer<ScheduledProcess> unexpectedEnd =
                p -> System.out.println("unexpected end: " + p.process().failure());

        try (ProcessScheduler scheduler = new ProcessScheduler(WORKERS, FUEL_PER_SLICE)) {
            List<ScheduledProcess> parked = new ArrayList<>(); // a frozen process is held by its handle alone
            List<ScheduledProcess> runnable = new ArrayList<>();
            for (int i = 0; i < PARKED; i++) {
                parked.add(scheduler.add(start(module), true, unexpectedEnd));
            }
            for (int i = 0; i < RUNNABLE; i++) {
                runnable.add(scheduler.add(start(module), false, unexpectedEnd));
            }
            long heapWith = heapUsedAfterGc();
            int threadsWith = ManagementFactory.getThreadMXBean().getThreadCount();
            System.out.printf(
                    "heap used: %.0f MB before, %.0f MB with %d processes (%.1f KB each)%n",
                    heapBefore / 1e6,
                    heapWith / 1e6,
                    scheduler.size(),
                    (heapWith - heapBefore) / 1e3 / scheduler.size());
            System.out.printf(
                    "threads alive: %d before, %d with the scheduler (%d of them pm-sched-*)%n",
                    threadsBefore, threadsWith, schedulerThreads());

            // Counted from a moment every runnable process has been through the queue, so the head
            // start of the first ones (they ran while the rest were being created) is left out.
            while (runnable.stream().anyMatch(p -> p.slices() == 0)) {
                TimeUnit.MILLISECONDS.sleep(10);
            }
            TimeUnit.SECONDS.sleep(WARMUP_SECONDS);
            long[] fuel0 = fuel(runnable);
            long[] slices0 = slices(runnable);
            long t0 = System.nanoTime();
            TimeUnit.SECONDS.sleep(MEASURE_SECONDS);
            long[] fuel1 = fuel(runnable);
            long[] slices1 = slices(runnable);
            double seconds = (System.nanoTime() - t0) / 1e9;

            long[] fuel = new long[RUNNABLE];
            long totalFuel = 0;
            long totalSlices = 0;
            for (int i = 0; i < RUNNABLE; i++) {
                fuel[i] = fuel1[i] - fuel0[i];
                totalFuel += fuel[i];
                totalSlices += slices1[i] - slices0[i];
            }
            Arrays.sort(fuel);
            System.out.printf(
                    "slices/s: %.0f   fuel/s total: %.1f M   per runnable process: %.2f M/s%n",
                    totalSlices / seconds, totalFuel / seconds / 1e6, totalFuel / seconds / 1e6 / RUNNABLE);
            System.out.printf(
                    "fairness over %.1f s: fuel per runnable process min %.1f M, median %.1f M, max %.1f M,"
                            + " max/min %.3f%n",
                    seconds,
                    fuel[0] / 1e6,
                    fuel[RUNNABLE / 2] / 1e6,
                    fuel[RUNNABLE - 1] / 1e6,
                    (double) fuel[RUNNABLE - 1] / fuel[0]);

            List<ScheduledProcess> shuffled = new ArrayList<>(runnable);
            Collections.shuffle(shuffled, new Random(42));
            long[] random = freezeLatencies(shuffled.subList(0, FREEZES));
            long[] running = freezeRunning(runnable, FREEZES);
            System.out.printf("%-52s %8s %8s %8s%n", "freeze() until parked (microseconds)", "p50", "p99", "max");
            print("100 random runnable processes (mostly queued)", random);
            print("100 processes caught RUNNING (stop at a safepoint)", running);
            System.out.printf(
                    "gauges at the end: queued %d, running %d, sleeping %d, frozen %d, size %d; parked handles %d%n",
                    scheduler.runQueueLength(),
                    scheduler.running(),
                    scheduler.sleeping(),
                    scheduler.frozen(),
                    scheduler.size(),
                    parked.size());
        }
    }

    private static WasiProcess start(CompiledModule module) {
        return WasiProcess.start(module, WasiSession.builder().build(), LIMITS, 1 << 20);
    }

    /** Freezes each in turn, a random 0.2-2 ms apart, and leaves it frozen. */
    private static long[] freezeLatencies(List<ScheduledProcess> targets) throws Exception {
        long[] latencies = new long[targets.size()];
        Random random = new Random(7);
        for (int i = 0; i < latencies.length; i++) {
            LockSupport.parkNanos(200_000 + random.nextInt(1_800_000));
            long t = System.nanoTime();
            targets.get(i).freeze().get(60, TimeUnit.SECONDS);
            latencies[i] = System.nanoTime() - t;
        }
        return latencies;
    }

    /** Freezes {@code count} processes that are in a slice when looked at (one may end its slice before the request lands). */
    private static long[] freezeRunning(List<ScheduledProcess> runnable, int count) throws Exception {
        long[] latencies = new long[count];
        Random random = new Random(11);
        int taken = 0;
        while (taken < count) {
            LockSupport.parkNanos(200_000 + random.nextInt(1_800_000));
            for (ScheduledProcess p : runnable) {
                if (p.status() == ScheduledProcess.Status.RUNNING) {
                    long t = System.nanoTime();
                    p.freeze().get(60, TimeUnit.SECONDS);
                    latencies[taken++] = System.nanoTime() - t;
                    break;
                }
            }
        }
        return latencies;
    }

    private static void print(String row, long[] nanos) {
        long[] l = nanos.clone();
        Arrays.sort(l);
        System.out.printf("%-52s %8.1f %8.1f %8.1f%n", row, pct(l, 50), pct(l, 99), l[l.length - 1] / 1e3);
    }

    /** Nearest-rank percentile of sorted nanoseconds, in microseconds. */
    private static double pct(long[] sorted, int p) {
        return sorted[Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1e3;
    }

    private static long[] fuel(List<ScheduledProcess> handles) {
        return handles.stream().mapToLong(ScheduledProcess::fuelUsed).toArray();
    }

    private static long[] slices(List<ScheduledProcess> handles) {
        return handles.stream().mapToLong(ScheduledProcess::slices).toArray();
    }

    private static long schedulerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("pm-sched-"))
                .count();
    }

    private static long heapUsedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }
}
