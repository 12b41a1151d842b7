package pm.runtime.bench;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Instance;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.interp.Store;
import pm.runtime.support.GuestRun;
import pm.runtime.wasi.InputSource;
import pm.runtime.wasi.ProcessExit;
import pm.runtime.wasi.WasiSession;

/**
 * The tiers side by side in one command: {@code bzip2 -9 -c} over the generated text on our
 * compiled tier, our interpreter, Chicory 1.5.1's AOT compiler and the native bzip2 of this host
 * ({@code /usr/bin/bzip2}, same input, output compared). For each JVM engine: the compile time,
 * the first run (cold: HotSpot has not compiled the guest code yet) and a warm run, separately.
 * All outputs must be identical. Ratios are of warm runs.
 *
 * <p>Run as {@code java -XX:-DontCompileHugeMethods -cp <test classpath> pm.runtime.bench.TierSpeedBench}
 * (see README.md here): bzip2's hottest functions compile to JVM methods above HotSpot's 8000-byte
 * limit, which the flag lifts; without it they stay in our interpreter, and the figure says so.
 */
public final class TierSpeedBench {
    private TierSpeedBench() {}

    record Timed(byte[] out, long nanos) {}

    public static void main(String[] args) throws Exception {
        int bytes = Integer.getInteger("bench.bytes", 4 << 20);
        int warmRuns = Integer.getInteger("bench.warmRuns", 2);
        boolean skipInterp = Boolean.getBoolean("bench.skipInterp");
        byte[] wasm = GuestRun.wasm("bzip2");
        byte[] input = InterpreterSpeedBench.text(bytes);
        System.out.println(InterpreterSpeedBench.host());
        System.out.printf("bzip2 -9 -c of %d bytes of generated text; DontCompileHugeMethods=%s%n", bytes,
                java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                        .getVMOption("DontCompileHugeMethods").getValue());

        long t = System.nanoTime();
        CompiledModule module = CompiledModule.compile(wasm);
        long decode = System.nanoTime() - t;
        t = System.nanoTime();
        int compiled = module.compileTier();
        long jit = System.nanoTime() - t;
        System.out.printf("compiled tier: %d of %d functions compiled%n", compiled, module.definedFunctionCount());

        Timed native1 = runNative(input);
        Timed compiledCold = runOurs(module, input, Machine.Tier.COMPILED);
        Timed compiledWarm = best(warmRuns, () -> runOurs(module, input, Machine.Tier.COMPILED));

        WasmModule parsed = Parser.parse(wasm);
        t = System.nanoTime();
        Function<com.dylibso.chicory.runtime.Instance, com.dylibso.chicory.runtime.Machine> aot =
                MachineFactoryCompiler.compile(parsed);
        long aotCompile = System.nanoTime() - t;
        InterpreterSpeedBench.Run aotCold = InterpreterSpeedBench.runChicory(parsed, aot, input);
        Timed aotWarm = best(warmRuns, () -> {
            InterpreterSpeedBench.Run r = InterpreterSpeedBench.runChicory(parsed, aot, input);
            return new Timed(r.out(), r.nanos());
        });
        Timed interpCold = skipInterp ? null : runOurs(module, input, Machine.Tier.INTERP);
        Timed interpWarm = skipInterp ? null : runOurs(module, input, Machine.Tier.INTERP);
        Timed nativeWarm = best(3, () -> runNative(input));

        byte[] out = compiledWarm.out();
        for (byte[] o : new byte[][] {native1.out(), compiledCold.out(), aotCold.out(), aotWarm.out(),
                interpCold == null ? out : interpCold.out(), interpWarm == null ? out : interpWarm.out()}) {
            if (!Arrays.equals(o, out)) {
                throw new AssertionError("outputs differ: " + o.length + " and " + out.length + " bytes");
            }
        }
        System.out.printf("output: %d bytes, sha256 %s, identical on every engine and native%n%n", out.length,
                InterpreterSpeedBench.sha256(out));
        row("ours: decode + validate (both tiers)", decode);
        row("compiled tier: compile to bytecode", jit);
        row("compiled tier: run 1 (cold)", compiledCold.nanos());
        row("compiled tier: warm run (best of " + warmRuns + ")", compiledWarm.nanos());
        if (interpWarm != null) {
            row("interpreter: run 1", interpCold.nanos());
            row("interpreter: run 2 (warm)", interpWarm.nanos());
        }
        row("chicory AOT: compile", aotCompile);
        row("chicory AOT: run 1 (cold)", aotCold.nanos());
        row("chicory AOT: warm run (best of " + warmRuns + ")", aotWarm.nanos());
        row("native bzip2 (best of 3, whole process)", nativeWarm.nanos());
        System.out.println();
        double c = compiledWarm.nanos();
        System.out.printf("chicory AOT warm / compiled warm:   %6.2fx  (goal >= 3)%n", aotWarm.nanos() / c);
        System.out.printf("compiled warm / native:             %6.2fx  (goal <= 3)%n", c / nativeWarm.nanos());
        if (interpWarm != null) {
            System.out.printf("interpreter warm / compiled warm:   %6.2fx%n", interpWarm.nanos() / c);
            System.out.printf("interpreter warm / native:          %6.2fx%n", interpWarm.nanos() / (double) nativeWarm.nanos());
        }
        System.out.printf("chicory AOT warm / native:          %6.2fx%n", aotWarm.nanos() / (double) nativeWarm.nanos());
        System.out.printf("one shot from bytes (compile + run 1): compiled %.3f s, chicory AOT %.3f s%n",
                (decode + jit + compiledCold.nanos()) / 1e9, (aotCompile + aotCold.nanos()) / 1e9);
    }

    interface Run {
        Timed run() throws Exception;
    }

    private static Timed best(int n, Run r) throws Exception {
        Timed best = null;
        for (int i = 0; i < n; i++) {
            Timed x = r.run();
            if (best == null || x.nanos() < best.nanos()) {
                best = x;
            }
        }
        return best;
    }

    private static void row(String what, long nanos) {
        System.out.printf("%-46s %9.3f s%n", what, nanos / 1e9);
    }

    static Timed runOurs(CompiledModule module, byte[] input, Machine.Tier tier) {
        System.gc();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        WasiSession session = WasiSession.builder().args(InterpreterSpeedBench.ARGS).stdin(InputSource.of(input))
                .stdout(stdout::write).build();
        long t = System.nanoTime();
        Store store = new Store();
        Instance instance = Instance.instantiate(module, new pm.runtime.wasi.WasiPreview1(session).imports(), store, Limits.DEFAULT);
        Machine machine = new Machine(store, Limits.DEFAULT).tier(tier);
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
        return new Timed(stdout.toByteArray(), System.nanoTime() - t);
    }

    static Timed runNative(byte[] input) throws IOException, InterruptedException {
        Path in = Files.createTempFile("bench", ".txt");
        Path out = Files.createTempFile("bench", ".bz2");
        try {
            Files.write(in, input);
            long t = System.nanoTime();
            Process p = new ProcessBuilder("bzip2", "-9", "-c").redirectInput(in.toFile()).redirectOutput(out.toFile()).start();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new AssertionError("native bzip2 failed");
            }
            long nanos = System.nanoTime() - t;
            return new Timed(Files.readAllBytes(out), nanos);
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
        }
    }
}
