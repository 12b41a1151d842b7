package pm.runtime.bench;

import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Imports;
import pm.runtime.interp.Instance;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.interp.MemoryInstance;
import pm.runtime.interp.Store;
import pm.runtime.support.Wat;

/**
 * How long a guest takes to grow its memory to the largest size a Java array holds (just under
 * 2 GiB) in small steps: {@code memory.grow} by {@code bench.step} pages (default 1, and 16) in a
 * guest loop, each new page touched once. Prints seconds per target, with the JVM's heap limit;
 * run with a heap of at least 4 GiB ({@code -Xmx4g}: the last reservation holds the old and the
 * new array at once).
 */
public final class MemoryGrowthBench {
    private MemoryGrowthBench() {}

    private static final String GROWER = "(module (memory 1)"
            + " (func (export \"grow\") (param $n i32) (param $step i32) (result i32) (local $old i32)"
            + "  (block $done (loop $next"
            + "   (br_if $done (i32.le_s (local.get $n) (i32.const 0)))"
            + "   (local.set $old (memory.grow (local.get $step)))"
            + "   (br_if $done (i32.lt_s (local.get $old) (i32.const 0)))"
            + "   (i32.store8 (i32.shl (local.get $old) (i32.const 16)) (i32.const 1))"
            + "   (local.set $n (i32.sub (local.get $n) (local.get $step)))"
            + "   (br $next)))"
            + "  (memory.size)))";

    public static void main(String[] args) {
        byte[] wasm = Wat.toWasm(GROWER);
        CompiledModule module = CompiledModule.compile(wasm);
        System.out.printf(
                "max heap %.1f GiB, load %s%n",
                Runtime.getRuntime().maxMemory() / (double) (1L << 30),
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                        .getSystemLoadAverage());
        int[] steps = {Integer.getInteger("bench.step", 1), 16};
        int[] targets = {MemoryInstance.MAX_PAGES / 8, MemoryInstance.MAX_PAGES / 2, MemoryInstance.MAX_PAGES};
        for (int step : steps) {
            for (int target : targets) {
                System.gc();
                Instance instance = Instance.instantiate(module, Imports.none(), new Store(), Limits.DEFAULT);
                Machine machine = new Machine(instance.store(), Limits.DEFAULT);
                long t0 = System.nanoTime();
                long pages = machine.invoke(instance.function("grow"), target - 1, step)[0];
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf(
                        "grow by %2d page(s) to %5d pages (%.2f GiB): %.2f s%n",
                        step, pages, pages * 65536.0 / (1L << 30), s);
            }
        }
    }
}
