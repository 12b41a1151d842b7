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
 * What dirty-page tracking costs in the compiled tier, A/B in one JVM: bzip2 -9 compiled twice,
 * with the stores' dirty marks and without, both loaded, and run alternately (ABBA order per
 * round) {@code bench.rounds} rounds (default 8); the first two rounds warm HotSpot up and are
 * not counted. Prints each run, then per variant the best and the median, and their ratios.
 * Functions emitted in the compact form (none of bzip2's where huge methods are compiled, the
 * bench profile's setting) mark through {@code JitOps}, which follows the JVM-wide switch.
 */
public final class CompiledBarrierBench {
    private CompiledBarrierBench() {}

    public static void main(String[] args) throws Exception {
        int bytes = Integer.getInteger("bench.bytes", 4 << 20);
        int rounds = Integer.getInteger("bench.rounds", 8);
        System.out.println(InterpreterSpeedBench.host());
        byte[] input = InterpreterSpeedBench.text(bytes);
        CompiledModule module = CompiledModule.compile(GuestRun.wasm("bzip2"));
        Object with = JitVariants.compile(module, true);
        Object without = JitVariants.compile(module, false);
        List<Long> on = new ArrayList<>();
        List<Long> off = new ArrayList<>();
        byte[] expected = null;
        for (int r = 0; r < rounds; r++) {
            for (boolean barrier : new boolean[] {r % 2 == 0, r % 2 != 0}) {
                System.gc();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                long nanos = run(module, barrier ? with : without, input, out);
                if (expected != null && !Arrays.equals(expected, out.toByteArray())) {
                    throw new AssertionError("outputs differ with and without the barrier");
                }
                expected = out.toByteArray();
                System.out.printf("round %d, store barrier %-3s: %.3f s%s%n", r, barrier ? "on" : "off", nanos / 1e9,
                        r < 2 ? " (warm-up)" : "");
                if (r >= 2) {
                    (barrier ? on : off).add(nanos);
                }
            }
        }
        double bestOn = on.stream().mapToLong(Long::longValue).min().orElseThrow() / 1e9;
        double bestOff = off.stream().mapToLong(Long::longValue).min().orElseThrow() / 1e9;
        double medianOn = median(on) / 1e9;
        double medianOff = median(off) / 1e9;
        System.out.printf("best with barrier %.3f s, without %.3f s: %+.1f%%%n", bestOn, bestOff, 100 * (bestOn / bestOff - 1));
        System.out.printf("median with barrier %.3f s, without %.3f s: %+.1f%% (output sha256 %s)%n", medianOn, medianOff,
                100 * (medianOn / medianOff - 1), InterpreterSpeedBench.sha256(expected));
        System.out.println("load average at the end: "
                + java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    private static long run(CompiledModule module, Object code, byte[] input, ByteArrayOutputStream stdout) {
        WasiSession session = WasiSession.builder().args(InterpreterSpeedBench.ARGS).stdin(InputSource.of(input))
                .stdout(stdout::write).build();
        long t = System.nanoTime();
        Store store = new Store();
        Instance instance = Instance.instantiate(module, new pm.runtime.wasi.WasiPreview1(session).imports(), store, Limits.DEFAULT);
        JitVariants.attach(instance, code);
        Machine machine = new Machine(store, Limits.DEFAULT).tier(Machine.Tier.COMPILED);
        machine.start(instance.function("_start"));
        try {
            if (machine.run(Long.MAX_VALUE) != Machine.RunResult.COMPLETED) {
                throw new AssertionError("bzip2 stopped");
            }
        } catch (ProcessExit e) {
            if (e.status() != 0) {
                throw new AssertionError("bzip2 exited " + e.status());
            }
        }
        return System.nanoTime() - t;
    }

    private static double median(List<Long> values) {
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }
}
