package pm.runtime.bench;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Instance;
import pm.runtime.interp.JitVariants;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.interp.Store;
import pm.runtime.support.GuestRun;
import pm.runtime.wasi.InputSource;
import pm.runtime.wasi.ProcessExit;
import pm.runtime.wasi.WasiSession;

/**
 * What dirty-page tracking costs in the compiled tier, in one JVM: bzip2 -9 run four ways, in a
 * rotating order per round, {@code bench.rounds} rounds (default 8; the first two warm HotSpot up
 * and are not counted). Two are the module compiled with and without the stores' dirty marks and
 * attached directly (the marks' own cost); two are what a process runs, code from the module's
 * cache chosen per slice by its memory's dirty log: nobody reading the log, and a reader taking the
 * dirty pages after every slice of 10 million instructions, as a pre-copy does between slices.
 * Prints each run, then per way the best and the median, and their ratios to the unmarked code.
 */
public final class CompiledBarrierBench {
    private static final long SLICE = Long.getLong("bench.slice", 10_000_000);

    private CompiledBarrierBench() {}

    private enum Way {
        MARKED("marked code"),
        UNMARKED("unmarked code"),
        CACHE_NO_READER("cached, no reader"),
        CACHE_READER("cached, reader per slice");

        final String label;

        Way(String label) {
            this.label = label;
        }
    }

    public static void main(String[] args) throws Exception {
        int bytes = Integer.getInteger("bench.bytes", 4 << 20);
        int rounds = Integer.getInteger("bench.rounds", 8);
        System.out.println(InterpreterSpeedBench.host());
        byte[] input = InterpreterSpeedBench.text(bytes);
        CompiledModule module = CompiledModule.compile(GuestRun.wasm("bzip2"));
        Object marked = JitVariants.compile(module, true);
        Object unmarked = JitVariants.compile(module, false);
        // -Dbench.ways=MARKED,UNMARKED: only those ways (the marks' own cost, in half the time)
        String only = System.getProperty("bench.ways", "all");
        Way[] ways = only.isEmpty() || only.equals("all")
                ? Way.values()
                : Arrays.stream(only.split(",")).map(Way::valueOf).toArray(Way[]::new);
        List<List<Long>> times = new ArrayList<>();
        List<List<Long>> cpuTimes = new ArrayList<>();
        for (int i = 0; i < Way.values().length; i++) {
            times.add(new ArrayList<>());
            cpuTimes.add(new ArrayList<>());
        }
        byte[] expected = null;
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < ways.length; k++) {
                Way way = ways[(r + k) % ways.length];
                System.gc();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                Object code = way == Way.MARKED ? marked : way == Way.UNMARKED ? unmarked : null;
                long cpu0 = CPU.getCurrentThreadCpuTime();
                long nanos = run(module, code, way == Way.CACHE_READER, input, out);
                long cpu = CPU.getCurrentThreadCpuTime() - cpu0;
                if (expected != null && !Arrays.equals(expected, out.toByteArray())) {
                    throw new AssertionError("outputs differ: " + way.label);
                }
                expected = out.toByteArray();
                System.out.printf(
                        "round %d, %-24s: %.3f s, cpu %.3f s%s%n",
                        r, way.label, nanos / 1e9, cpu / 1e9, r < 2 ? " (warm-up)" : "");
                if (r >= 2) {
                    times.get(way.ordinal()).add(nanos);
                    cpuTimes.get(way.ordinal()).add(cpu);
                }
            }
        }
        if (!times.get(Way.MARKED.ordinal()).isEmpty()
                && !times.get(Way.UNMARKED.ordinal()).isEmpty()) {
            // per round, marked over unmarked: the two ran next to each other, so drift of the load
            // falls on both; and the same in the running thread's CPU time, which time spent
            // waiting for a CPU on a loaded machine does not inflate
            paired("wall", times);
            paired("cpu", cpuTimes);
            for (Way way : ways) {
                System.out.printf(
                        "%-24s cpu best %.3f s, median %.3f s%n",
                        way.label, best(cpuTimes.get(way.ordinal())) / 1e9, median(cpuTimes.get(way.ordinal())) / 1e9);
            }
        }
        double bestBase = best(times.get(Way.UNMARKED.ordinal()));
        double medianBase = median(times.get(Way.UNMARKED.ordinal()));
        for (Way way : ways) {
            List<Long> t = times.get(way.ordinal());
            System.out.printf(
                    "%-24s best %.3f s (%+.1f%%), median %.3f s (%+.1f%%)%n",
                    way.label,
                    best(t) / 1e9,
                    100 * (best(t) / bestBase - 1),
                    median(t) / 1e9,
                    100 * (median(t) / medianBase - 1));
        }
        System.out.println("output sha256 " + InterpreterSpeedBench.sha256(expected) + "; load average at the end: "
                + java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                        .getSystemLoadAverage());
    }

    private static final java.lang.management.ThreadMXBean CPU =
            java.lang.management.ManagementFactory.getThreadMXBean();

    /** Marked over unmarked per round (ratios of runs next to each other), their median and their spread. */
    private static void paired(String what, List<List<Long>> times) {
        List<Long> m = times.get(Way.MARKED.ordinal());
        List<Long> u = times.get(Way.UNMARKED.ordinal());
        List<Long> ppm = new ArrayList<>();
        for (int i = 0; i < Math.min(m.size(), u.size()); i++) {
            ppm.add(Math.round(1e6 * m.get(i) / u.get(i)));
        }
        long[] sorted = ppm.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf(
                "marked / unmarked per round, %s: median %+.1f%% (lowest %+.1f%%, highest %+.1f%%, %d rounds)%n",
                what,
                median(ppm) / 1e4 - 100,
                sorted[0] / 1e4 - 100,
                sorted[sorted.length - 1] / 1e4 - 100,
                sorted.length);
    }

    /** One run of bzip2: on {@code code} if given, else on what the code cache gives the tier, per slice. */
    private static long run(
            CompiledModule module, Object code, boolean reader, byte[] input, ByteArrayOutputStream stdout) {
        return run(module, code, SLICE, input, stdout, instance -> {
            if (reader) {
                instance.memory().takeDirtyPages();
            }
        });
    }

    /**
     * One run of bzip2 on the compiled tier in slices of {@code slice} instructions, {@code afterSlice}
     * called between them: on {@code code} if given, else on what the code cache gives; its time in
     * nanoseconds. Shared with {@link SliceLengthBench}.
     */
    static long run(
            CompiledModule module,
            Object code,
            long slice,
            byte[] input,
            ByteArrayOutputStream stdout,
            java.util.function.Consumer<Instance> afterSlice) {
        WasiSession session = WasiSession.builder()
                .args(InterpreterSpeedBench.ARGS)
                .stdin(InputSource.of(input))
                .stdout(stdout::write)
                .build();
        long t = System.nanoTime();
        Store store = new Store();
        Instance instance = Instance.instantiate(
                module, new pm.runtime.wasi.WasiPreview1(session).imports(), store, Limits.DEFAULT);
        if (code != null) {
            JitVariants.attach(instance, code);
        }
        Machine machine = new Machine(store, Limits.DEFAULT).tier(Machine.Tier.COMPILED);
        machine.start(instance.function("_start"));
        try {
            Machine.RunResult result;
            while ((result = machine.run(slice)) == Machine.RunResult.OUT_OF_FUEL) {
                afterSlice.accept(instance);
            }
            if (result != Machine.RunResult.COMPLETED) {
                throw new AssertionError("bzip2 stopped: " + result);
            }
        } catch (ProcessExit e) {
            if (e.status() != 0) {
                throw new AssertionError("bzip2 exited " + e.status());
            }
        }
        return System.nanoTime() - t;
    }

    /** The fastest of the measured runs (shared with {@link SliceLengthBench}). */
    static double best(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).min().orElseThrow();
    }

    /** The median of the measured runs. */
    static double median(List<Long> values) {
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }
}
