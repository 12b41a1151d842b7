package pm.runtime.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Machine;
import pm.runtime.support.GuestRun;

/**
 * What dirty-page tracking costs: {@code bzip2 -9 -c} with the store barrier and without it
 * ({@code -Dpm.runtime.storeBarrier=false}, a switch read once per JVM), in fresh child JVMs
 * launched alternately by this command, {@code bench.pairs} pairs (default 3). {@code bench.tier}
 * chooses our interpreter ({@code interp}, the default) or the compiled tier ({@code compiled}).
 * A child runs bzip2 twice (interpreter) or three times (compiled: HotSpot's compilation of the
 * generated code settles later) and reports its best run after the first; the figure is the
 * ratio of medians.
 */
public final class StoreBarrierBench {
    private StoreBarrierBench() {}

    public static void main(String[] args) throws Exception {
        int bytes = Integer.getInteger("bench.bytes", 4 << 20);
        if (args.length > 0 && args[0].equals("child")) {
            byte[] input = InterpreterSpeedBench.text(bytes);
            CompiledModule module = CompiledModule.compile(GuestRun.wasm("bzip2"));
            if (args.length > 1 && args[1].equals("compiled")) {
                TierSpeedBench.runOurs(module, input, Machine.Tier.COMPILED);
                TierSpeedBench.Timed a = TierSpeedBench.runOurs(module, input, Machine.Tier.COMPILED);
                TierSpeedBench.Timed b = TierSpeedBench.runOurs(module, input, Machine.Tier.COMPILED);
                TierSpeedBench.Timed warm = a.nanos() < b.nanos() ? a : b;
                System.out.println("nanos " + warm.nanos() + " out " + InterpreterSpeedBench.sha256(warm.out()));
                return;
            }
            InterpreterSpeedBench.runOurs(module, input);
            InterpreterSpeedBench.Run warm = InterpreterSpeedBench.runOurs(module, input);
            System.out.println("nanos " + warm.nanos() + " out " + InterpreterSpeedBench.sha256(warm.out()));
            return;
        }
        int pairs = Integer.getInteger("bench.pairs", 3);
        String tier = System.getProperty("bench.tier", "interp");
        System.out.println(InterpreterSpeedBench.host());
        System.out.println("tier: " + tier);
        List<Long> with = new ArrayList<>();
        List<Long> without = new ArrayList<>();
        String digest = null;
        for (int i = 0; i < pairs; i++) {
            for (boolean barrier : new boolean[] {i % 2 == 0, i % 2 != 0}) {
                String[] result = child(barrier, bytes, tier);
                if (digest != null && !digest.equals(result[3])) {
                    throw new AssertionError("outputs differ with and without the barrier");
                }
                digest = result[3];
                long nanos = Long.parseLong(result[1]);
                (barrier ? with : without).add(nanos);
                System.out.printf("pair %d, store barrier %-3s: %.3f s%n", i, barrier ? "on" : "off", nanos / 1e9);
            }
        }
        double on = median(with);
        double off = median(without);
        System.out.printf(
                "median with barrier %.3f s, without %.3f s: overhead %+.1f%% (output sha256 %s)%n",
                on / 1e9, off / 1e9, (on / off - 1) * 100, digest);
    }

    private static String[] child(boolean barrier, int bytes, String tier) throws Exception {
        // the compiled tier's children run with the flags of the bench profile's JVM
        Process p = new ProcessBuilder(
                        Paths.get(System.getProperty("java.home"), "bin", "java")
                                .toString(),
                        tier.equals("compiled") ? "-XX:-DontCompileHugeMethods" : "-XX:+DontCompileHugeMethods",
                        "-Dpm.runtime.storeBarrier=" + barrier,
                        "-Dbench.bytes=" + bytes,
                        "-cp",
                        System.getProperty("java.class.path"),
                        StoreBarrierBench.class.getName(),
                        "child",
                        tier)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String line;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            line = r.readLine();
        }
        if (p.waitFor() != 0 || line == null) {
            throw new AssertionError("child JVM failed");
        }
        return line.split(" ");
    }

    private static double median(List<Long> values) {
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        return sorted.length % 2 == 1
                ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2.0;
    }
}
