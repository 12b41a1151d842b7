package pm.runtime.bench;

import static pm.runtime.bench.CompiledBarrierBench.best;
import static pm.runtime.bench.CompiledBarrierBench.median;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.JitVariants;
import pm.runtime.support.GuestRun;

/**
 * What slicing costs compiled code: bzip2 -9 of {@code bench.bytes} (default 4 MiB) on the compiled
 * tier (the variant without dirty marks, attached directly), run in slices of each length of
 * {@code bench.slices} instructions (default 100 000, 1, 4, 10 and 40 million, and 0: one slice), in
 * rotating order per round, {@code bench.rounds} rounds (default 8; the first two warm HotSpot up and
 * are not counted). Prints per length the best and median time, their ratios to one slice, and the
 * wall time of one slice, which is what a scheduler's fairness sees.
 */
public final class SliceLengthBench {
    private SliceLengthBench() {}

    public static void main(String[] args) throws Exception {
        int bytes = Integer.getInteger("bench.bytes", 4 << 20);
        int rounds = Integer.getInteger("bench.rounds", 8);
        long[] slices = Arrays.stream(System.getProperty("bench.slices", "100000,1000000,4000000,10000000,40000000,0")
                        .split(","))
                .mapToLong(s -> Long.parseLong(s.trim()))
                .toArray();
        System.out.println(InterpreterSpeedBench.host());
        byte[] input = InterpreterSpeedBench.text(bytes);
        CompiledModule module = CompiledModule.compile(GuestRun.wasm("bzip2"));
        Object code = JitVariants.compile(module, false);
        List<List<Long>> times = new ArrayList<>();
        long[] sliceCounts = new long[slices.length];
        for (int i = 0; i < slices.length; i++) {
            times.add(new ArrayList<>());
        }
        byte[] expected = null;
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < slices.length; k++) {
                int s = (r + k) % slices.length;
                System.gc();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                long[] counted = {1}; // the last slice, which ends the run
                long nanos = CompiledBarrierBench.run(
                        module, code, slices[s] == 0 ? Long.MAX_VALUE : slices[s], input, out, i -> counted[0]++);
                if (expected != null && !Arrays.equals(expected, out.toByteArray())) {
                    throw new AssertionError("outputs differ at slices of " + slices[s]);
                }
                expected = out.toByteArray();
                sliceCounts[s] = counted[0];
                System.out.printf(
                        "round %d, slices of %,11d: %.3f s%s%n", r, slices[s], nanos / 1e9, r < 2 ? " (warm-up)" : "");
                if (r >= 2) {
                    times.get(s).add(nanos);
                }
            }
        }
        int whole = -1;
        for (int s = 0; s < slices.length; s++) {
            if (slices[s] == 0) {
                whole = s;
            }
        }
        for (int s = 0; s < slices.length; s++) {
            List<Long> t = times.get(s);
            double best = best(t);
            double median = median(t);
            String ratio = whole < 0
                    ? ""
                    : String.format(
                            " (x%.2f, median x%.2f of one slice)",
                            best / best(times.get(whole)), median / median(times.get(whole)));
            System.out.printf(
                    "slices of %,11d: best %.3f s, median %.3f s%s; %d slices of %.2f ms each%n",
                    slices[s], best / 1e9, median / 1e9, ratio, sliceCounts[s], median / 1e6 / sliceCounts[s]);
        }
        System.out.println("load average at the end: "
                + java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                        .getSystemLoadAverage());
    }
}
