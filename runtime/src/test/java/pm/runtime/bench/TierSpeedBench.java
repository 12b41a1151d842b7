package pm.runtime.bench;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * The tiers side by side in one command, per program: our compiled tier, our interpreter,
 * Chicory 1.5.1's AOT compiler, the same module under Node's V8 ({@code node:wasi}, whole process)
 * and the program built natively, on the same input; every output must be identical. For each JVM
 * engine the compile time, the first run (cold: HotSpot has not compiled the guest code yet) and
 * the best warm run are shown apart. Ratios are of warm runs.
 *
 * <p>Programs: {@code bzip2 -9 -c} (upstream bzip2 1.0.8, {@code src/test/guest/wasm/bzip2.wasm})
 * over the generated text, against the host's {@code /usr/bin/bzip2}; and, when its native build
 * is there ({@code bench.luaNative}, default {@code target/lua/lua}, made by
 * {@code src/test/guest/build.sh --lua}), upstream Lua 5.4.4 running
 * {@code src/test/guest/lua/bench.lua} (a workload written for this project).
 *
 * <p>Run as {@code java -XX:-DontCompileHugeMethods -cp <test classpath> pm.runtime.bench.TierSpeedBench}
 * (see README.md here).
 */
public final class TierSpeedBench {
    private TierSpeedBench() {}

    record Timed(byte[] out, long nanos) {}

    /** A WASI command: module, arguments (the first is its name), stdin, and the native command doing the same. */
    record Program(String title, byte[] wasm, List<String> args, byte[] input, List<String> nativeCommand) {}

    public static void main(String[] args) throws Exception {
        int bytes = Integer.getInteger("bench.bytes", 4 << 20);
        int warmRuns = Integer.getInteger("bench.warmRuns", 4);
        boolean skipInterp = Boolean.getBoolean("bench.skipInterp");
        System.out.println(InterpreterSpeedBench.host());
        System.out.printf(
                "DontCompileHugeMethods=%s; V8: %s%n",
                java.lang.management.ManagementFactory.getPlatformMXBean(
                                com.sun.management.HotSpotDiagnosticMXBean.class)
                        .getVMOption("DontCompileHugeMethods")
                        .getValue(),
                pm.runtime.support.NodeWasi.available()
                        ? "node " + NodeRun.version()
                        : "node with node:wasi not found, no V8 rows");
        List<Program> programs = new ArrayList<>();
        programs.add(new Program(
                "bzip2 -9 -c of " + bytes + " bytes of generated text",
                GuestRun.wasm("bzip2"),
                InterpreterSpeedBench.ARGS,
                InterpreterSpeedBench.text(bytes),
                List.of("bzip2", "-9", "-c")));
        Path lua = Paths.get(System.getProperty("bench.luaNative", "target/lua/lua"));
        if (Files.isExecutable(lua)) {
            programs.add(new Program(
                    "lua 5.4.4 running src/test/guest/lua/bench.lua 9",
                    GuestRun.wasm("lua"),
                    List.of("lua", "-", "9"),
                    Files.readAllBytes(GuestRun.GUEST_DIR.resolve("lua").resolve("bench.lua")),
                    List.of(lua.toAbsolutePath().toString(), "-", "9")));
        } else {
            System.out.println("no native Lua at " + lua + " (src/test/guest/build.sh --lua makes it): bzip2 only");
        }
        for (Program p : programs) {
            bench(p, warmRuns, skipInterp);
        }
    }

    private static void bench(Program p, int warmRuns, boolean skipInterp) throws Exception {
        System.out.println();
        System.out.println("== " + p.title());
        long t = System.nanoTime();
        CompiledModule module = CompiledModule.compile(p.wasm());
        long decode = System.nanoTime() - t;
        t = System.nanoTime();
        int compiled = module.compileTier();
        long jit = System.nanoTime() - t;
        System.out.printf("compiled tier: %d of %d functions compiled%n", compiled, module.definedFunctionCount());

        Timed native1 = runNative(p);
        Timed compiledCold = runOurs(module, p, Machine.Tier.COMPILED);
        Timed compiledWarm = best(warmRuns, () -> runOurs(module, p, Machine.Tier.COMPILED));

        WasmModule parsed = Parser.parse(p.wasm());
        t = System.nanoTime();
        Function<com.dylibso.chicory.runtime.Instance, com.dylibso.chicory.runtime.Machine> aot =
                MachineFactoryCompiler.compile(parsed);
        long aotCompile = System.nanoTime() - t;
        Timed aotCold = chicory(parsed, aot, p);
        Timed aotWarm = best(warmRuns, () -> chicory(parsed, aot, p));
        Timed interpCold = skipInterp ? null : runOurs(module, p, Machine.Tier.INTERP);
        Timed interpWarm = skipInterp ? null : runOurs(module, p, Machine.Tier.INTERP);
        Timed nativeWarm = best(3, () -> runNative(p));
        Timed v8 = pm.runtime.support.NodeWasi.available()
                ? best(3, () -> NodeRun.run(p.wasm(), p.args(), p.input()))
                : null;

        byte[] out = native1.out();
        for (Timed o :
                new Timed[] {compiledCold, compiledWarm, aotCold, aotWarm, interpCold, interpWarm, nativeWarm, v8}) {
            if (o != null && !Arrays.equals(o.out(), out)) {
                throw new AssertionError("outputs differ: " + o.out().length + " and " + out.length + " bytes");
            }
        }
        System.out.printf(
                "output: %d bytes, sha256 %s, identical on every engine and native%n",
                out.length, InterpreterSpeedBench.sha256(out));
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
        if (v8 != null) {
            row("V8, node:wasi (best of 3, whole process)", v8.nanos());
        }
        row("native (best of 3, whole process)", nativeWarm.nanos());
        double c = compiledWarm.nanos();
        double n = nativeWarm.nanos();
        System.out.printf("chicory AOT warm / compiled warm:   %6.2fx  (goal >= 3)%n", aotWarm.nanos() / c);
        System.out.printf("compiled warm / native:             %6.2fx  (goal <= 3)%n", c / n);
        if (v8 != null) {
            System.out.printf(
                    "V8 / compiled warm:                 %6.2fx  (above 1: the compiled tier is faster)%n",
                    v8.nanos() / c);
            System.out.printf("V8 / native:                        %6.2fx%n", v8.nanos() / n);
        }
        if (interpWarm != null) {
            System.out.printf("interpreter warm / compiled warm:   %6.2fx%n", interpWarm.nanos() / c);
            System.out.printf("interpreter warm / native:          %6.2fx%n", interpWarm.nanos() / n);
        }
        System.out.printf("chicory AOT warm / native:          %6.2fx%n", aotWarm.nanos() / n);
        System.out.printf(
                "one shot from bytes (compile + run 1): compiled %.3f s, chicory AOT %.3f s%n",
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

    private static Timed chicory(
            WasmModule parsed,
            Function<com.dylibso.chicory.runtime.Instance, com.dylibso.chicory.runtime.Machine> aot,
            Program p) {
        InterpreterSpeedBench.Run r = InterpreterSpeedBench.runChicory(parsed, aot, p.args(), p.input());
        return new Timed(r.out(), r.nanos());
    }

    /** bzip2 -9 -c of {@code input} in {@code tier}, as {@link #bench} runs it. */
    static Timed runOurs(CompiledModule module, byte[] input, Machine.Tier tier) {
        return runOurs(module, new Program("bzip2", new byte[0], InterpreterSpeedBench.ARGS, input, List.of()), tier);
    }

    static Timed runOurs(CompiledModule module, Program p, Machine.Tier tier) {
        System.gc();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        WasiSession session = WasiSession.builder()
                .args(p.args())
                .stdin(InputSource.of(p.input()))
                .stdout(stdout::write)
                .build();
        long t = System.nanoTime();
        Store store = new Store();
        Instance instance = Instance.instantiate(
                module, new pm.runtime.wasi.WasiPreview1(session).imports(), store, Limits.DEFAULT);
        Machine machine = new Machine(store, Limits.DEFAULT).tier(tier);
        machine.start(instance.function("_start"));
        try {
            if (machine.run(Long.MAX_VALUE) != Machine.RunResult.COMPLETED) {
                throw new AssertionError(p.args().get(0) + " stopped");
            }
        } catch (ProcessExit e) {
            if (e.status() != 0) {
                throw new AssertionError(p.args().get(0) + " exited " + e.status());
            }
        }
        return new Timed(stdout.toByteArray(), System.nanoTime() - t);
    }

    static Timed runNative(Program p) throws IOException, InterruptedException {
        Path in = Files.createTempFile("bench", ".in");
        Path out = Files.createTempFile("bench", ".out");
        try {
            Files.write(in, p.input());
            long t = System.nanoTime();
            Process proc = new ProcessBuilder(p.nativeCommand())
                    .redirectInput(in.toFile())
                    .redirectOutput(out.toFile())
                    .start();
            if (!proc.waitFor(10, TimeUnit.MINUTES) || proc.exitValue() != 0) {
                throw new AssertionError("native " + p.nativeCommand() + " failed");
            }
            long nanos = System.nanoTime() - t;
            return new Timed(Files.readAllBytes(out), nanos);
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
        }
    }
}
