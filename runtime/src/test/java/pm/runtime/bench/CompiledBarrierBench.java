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
        Way[] ways = Way.values();
        List<List<Long>> times = new ArrayList<>();
        for (int i = 0; i < ways.length; i++) {
            times.add(new ArrayList<>());
        }
        byte[] expected = null;
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < ways.length; k++) {
                Way way = ways[(r + k) % ways.length];
                System.gc();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                Object code = way == Way.MARKED ? marked : way == Way.UNMARKED ? unmarked : null;
                long nanos = run(module, code, way == Way.CACHE_READER, input, out);
                if (expected != null && !Arrays.equals(expected, out.toByteArray())) {
                    throw new AssertionError("outputs differ: " + way.label);
                }
                expected = out.toByteArray();
                System.out.printf("round %d, %-24s: %.3f s%s%n", r, way.label, nanos / 1e9, r < 2 ? " (warm-up)" : "");
                if (r >= 2) {
                    times.get(way.ordinal()).add(nanos);
                }
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
