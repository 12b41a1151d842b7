package pm.runtime.bench;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
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
 * {@code bzip2 -9 -c} over generated text on our interpreter, Chicory's interpreter and Chicory's
 * AOT compiler, in one JVM. Each engine's output must be byte-identical. See README.md here.
 *
 * <p>Order and warm-up: ours runs twice (the first run lets HotSpot compile the dispatch loop) and
 * the second is measured. Chicory AOT compiles the module once and runs two instances of it,
 * because the JIT profiles the generated classes themselves, so only a second run of the same
 * classes is warm. Chicory's interpreter runs once, last: it takes long enough to warm up inside
 * its own run, and running it last keeps it from delaying the other two.
 */
public final class InterpreterSpeedBench {
    static final List<String> ARGS = List.of("bzip2", "-9", "-c");
    /** Input and output digests of the default 4 MiB run, from runtime/src/test/guest/README.md. */
    static final String TEXT_4M_SHA256 = "2d7189296a8a3aae53b975107caa3a698d23826745b9b2aac3ab6a193b980a64";

    static final String BZ2_4M_SHA256 = "53acadb95f290b36ee5a3b4aa80b57e15aad3b0ccaab322d6121e35a4cb9a936";

    /** One run of bzip2: its stdout, exit status, wall time (instantiate + {@code _start}). */
    record Run(byte[] out, int exit, long nanos, long instructions) {}

    private InterpreterSpeedBench() {}

    public static void main(String[] args) throws Exception {
        int bytes = Integer.getInteger("bench.bytes", 4 << 20);
        boolean skipChicoryInterpreter = Boolean.getBoolean("bench.skipChicoryInterpreter");
        byte[] wasm = GuestRun.wasm("bzip2");
        byte[] input = text(bytes);
        String inputDigest = sha256(input);
        System.out.printf(
                "input: %d bytes of generated text, sha256 %s%s%n",
                bytes,
                inputDigest,
                bytes == 4 << 20
                        ? (inputDigest.equals(TEXT_4M_SHA256) ? " (= gen-text.sh)" : " (DIFFERS from gen-text.sh!)")
                        : "");
        System.out.println(host());

        long t = System.nanoTime();
        CompiledModule module = CompiledModule.compile(wasm);
        long oursCompile = System.nanoTime() - t;
        Run oursCold = runOurs(module, input);
        Run oursWarm = runOurs(module, input);

        WasmModule parsed = Parser.parse(wasm);
        t = System.nanoTime();
        Function<com.dylibso.chicory.runtime.Instance, com.dylibso.chicory.runtime.Machine> aot =
                MachineFactoryCompiler.compile(parsed);
        long aotCompile = System.nanoTime() - t;
        Run aotCold = runChicory(parsed, aot, input);
        Run aotWarm = runChicory(parsed, aot, input);

        Run interp = skipChicoryInterpreter ? null : runChicory(parsed, null, input);

        byte[] out = oursWarm.out();
        for (Run r : Arrays.asList(oursCold, aotCold, aotWarm, interp)) {
            if (r != null && !Arrays.equals(r.out(), out)) {
                throw new AssertionError(
                        "engines disagree: outputs of " + out.length + " and " + r.out().length + " bytes differ");
            }
        }
        String digest = sha256(out);
        System.out.printf(
                "bzip2 -9 -c output: %d bytes, sha256 %s, identical on %s%s%n",
                out.length,
                digest,
                interp == null ? "ours and Chicory AOT" : "all three engines",
                bytes == 4 << 20
                        ? (digest.equals(BZ2_4M_SHA256) ? "; = native bzip2 1.0.8" : "; DIFFERS from native bzip2!")
                        : "");
        System.out.println();
        row("ours: compile (validate + translate)", oursCompile);
        row("ours: run 1 (cold, warm-up)", oursCold.nanos());
        row("ours: run 2 (measured)", oursWarm.nanos());
        System.out.printf(
                "    instructions retired %,d = %.1f M/s%n",
                oursWarm.instructions(), oursWarm.instructions() / (oursWarm.nanos() / 1e3));
        row("chicory AOT: compile", aotCompile);
        row("chicory AOT: run 1 (cold)", aotCold.nanos());
        row("chicory AOT: run 2 (measured)", aotWarm.nanos());
        row("chicory AOT: compile + run 1", aotCompile + aotCold.nanos());
        row("chicory AOT: compile + run 2", aotCompile + aotWarm.nanos());
        if (interp != null) {
            row("chicory interpreter: run (measured)", interp.nanos());
        }
        System.out.println();
        double ours = oursWarm.nanos();
        if (interp != null) {
            System.out.printf(
                    "speedup of ours over chicory interpreter:   %6.2fx  (its run / our run 2)%n",
                    interp.nanos() / ours);
        }
        System.out.printf(
                "our time relative to chicory AOT, run only: %6.2fx  (our run 2 / its run 2)%n",
                ours / aotWarm.nanos());
        System.out.printf(
                "our time relative to chicory AOT + compile: %6.2fx  (our run 2 / its compile + run 2)%n",
                ours / (aotCompile + aotWarm.nanos()));
        System.out.printf(
                "one-shot from bytes, cold (compile + run 1): ours %.3f s, chicory AOT %.3f s%n",
                (oursCompile + oursCold.nanos()) / 1e9, (aotCompile + aotCold.nanos()) / 1e9);
    }

    /** The JVM and the machine's load, which matters for reading the figures (other processes compete). */
    static String host() {
        return String.format(
                "JVM %s %s, %d CPUs, load average %.2f at start",
                System.getProperty("java.vm.name"),
                System.getProperty("java.vm.version"),
                Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    private static void row(String what, long nanos) {
        System.out.printf("%-40s %9.3f s%n", what, nanos / 1e9);
    }

    static Run runOurs(CompiledModule module, byte[] input) {
        System.gc(); // so that garbage from the previous run is not collected on this run's clock
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        WasiSession session = WasiSession.builder()
                .args(ARGS)
                .stdin(InputSource.of(input))
                .stdout(stdout::write)
                .stderr(stderr::write)
                .build();
        long t = System.nanoTime();
        Store store = new Store();
        Instance instance = Instance.instantiate(
                module, new pm.runtime.wasi.WasiPreview1(session).imports(), store, Limits.DEFAULT);
        Machine machine = new Machine(store, Limits.DEFAULT);
        machine.start(instance.function("_start"));
        int exit = 0;
        try {
            Machine.RunResult r = machine.run(Long.MAX_VALUE);
            if (r != Machine.RunResult.COMPLETED) {
                throw new AssertionError("bzip2 stopped: " + r);
            }
        } catch (ProcessExit e) {
            exit = e.status();
        }
        long nanos = System.nanoTime() - t;
        return checked(new Run(stdout.toByteArray(), exit, nanos, machine.instructionsRetired()), stderr);
    }

    /** Runs on Chicory: its interpreter when {@code machineFactory} is null, else that factory. */
    static Run runChicory(
            WasmModule module,
            Function<com.dylibso.chicory.runtime.Instance, com.dylibso.chicory.runtime.Machine> machineFactory,
            byte[] input) {
        return runChicory(module, machineFactory, ARGS, input);
    }

    /** As above, for any WASI command: {@code args} (args[0] is its name) and stdin. */
    static Run runChicory(
            WasmModule module,
            Function<com.dylibso.chicory.runtime.Instance, com.dylibso.chicory.runtime.Machine> machineFactory,
            List<String> args,
            byte[] input) {
        System.gc();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        WasiOptions options = WasiOptions.builder()
                .withArguments(args)
                .withStdin(new ByteArrayInputStream(input))
                .withStdout(out)
                .withStderr(err)
                .build();
        try (WasiPreview1 wasi = WasiPreview1.builder().withOptions(options).build()) {
            long t = System.nanoTime();
            var builder = com.dylibso.chicory.runtime.Instance.builder(module)
                    .withImportValues(ImportValues.builder()
                            .addFunction(stdoutNotATerminal(wasi.toHostFunctions()))
                            .build())
                    .withStart(false); // run _start below, inside the timed region, as for ours
            if (machineFactory != null) {
                builder.withMachineFactory(machineFactory);
            }
            int exit = 0;
            try {
                builder.build().export("_start").apply();
            } catch (WasiExitException e) {
                exit = e.exitCode();
            }
            long nanos = System.nanoTime() - t;
            return checked(new Run(out.toByteArray(), exit, nanos, -1), err);
        }
    }

    /**
     * Chicory's WASI describes stdout as a character device without seek or tell rights, which
     * wasi-libc's isatty() takes for a terminal, and bzip2 will not write compressed data to a
     * terminal. Adding FD_TELL to stdout's rights makes it a non-terminal, as our test host's is.
     */
    private static final long FD_TELL = 1L << 5; // WASI rights bit; Chicory's WasiRights is not public

    private static HostFunction[] stdoutNotATerminal(HostFunction[] functions) {
        HostFunction[] out = functions.clone();
        for (int i = 0; i < out.length; i++) {
            HostFunction f = out[i];
            if (f.name().equals("fd_fdstat_get")) {
                out[i] = new HostFunction(f.module(), f.name(), f.functionType(), (instance, args) -> {
                    long[] r = f.handle().apply(instance, args);
                    if (args[0] == 1 && r[0] == 0) {
                        int rightsBase = (int) args[1] + 8;
                        instance.memory()
                                .writeLong(rightsBase, instance.memory().readLong(rightsBase) | FD_TELL);
                    }
                    return r;
                });
            }
        }
        return out;
    }

    private static Run checked(Run r, ByteArrayOutputStream stderr) {
        if (r.exit() != 0 || stderr.size() != 0) {
            throw new AssertionError("the program exited " + r.exit() + ": " + stderr.toString(StandardCharsets.UTF_8));
        }
        return r;
    }

    /**
     * The text of runtime/src/test/guest/gen-text.sh, byte for byte: a Park-Miller generator picks
     * line lengths, words from a 64-word vocabulary and commas; the last line is cut at {@code bytes}.
     */
    static byte[] text(int bytes) {
        String[] words = ("the of and to in is was that for it with as his on be at by had are but "
                        + "from or have an they which one you were all her she there would their we "
                        + "him been has when who will more no if out so said what up its about into "
                        + "than them can only other new some could time these two")
                .split(" ");
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes + 128);
        StringBuilder line = new StringBuilder();
        long x = 12345;
        while (out.size() < bytes) {
            x = x * 16807 % 2147483647;
            int n = 6 + (int) (x % 10);
            line.setLength(0);
            for (int i = 0; i < n; i++) {
                x = x * 16807 % 2147483647;
                String word = words[(int) (x % 64)];
                x = x * 16807 % 2147483647; // drawn for every word, the last one included
                if (i > 0) {
                    line.append(' ');
                }
                line.append(word);
                if (x % 8 == 0 && i < n - 1) {
                    line.append(',');
                }
            }
            line.append(".\n");
            out.writeBytes(line.toString().getBytes(StandardCharsets.US_ASCII));
        }
        return Arrays.copyOf(out.toByteArray(), bytes);
    }

    static String sha256(byte[] data) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
