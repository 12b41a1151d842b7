package pm.runtime.interp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import pm.runtime.TrapException;
import pm.runtime.image.StateBlob;
import pm.runtime.support.GuestRun;
import pm.runtime.support.Wat;
import pm.runtime.wasi.ProcessExit;
import pm.runtime.wasi.WasiPreview1;
import pm.runtime.wasi.WasiSession;
import pm.v1.WasiState;

/** The compiled tier on bad input, at its limits, and frozen at safepoints chosen by time. */
class CompiledTierTest {
    private static final String MEMORY = "(module (memory 1)"
            + " (func (export \"load\") (param i32) (result i32) (i32.load (local.get 0)))"
            + " (func (export \"loadFar\") (param i32) (result i32) (i32.load offset=0xFFFFFFFF (local.get 0)))"
            + " (func (export \"store64\") (param i32) (i64.store (local.get 0) (i64.const -1)))"
            + " (func (export \"load8\") (param i32) (result i32) (i32.load8_u (local.get 0))))";

    private static final String RECURSION = "(module"
            + " (func $forever (export \"forever\") (param i32) (result i32) (call $forever (i32.add (local.get 0) (i32.const 1))))"
            + " (func $down (export \"down\") (param $n i32) (result i32)"
            + "   (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0))"
            + "     (else (i32.add (i32.const 1) (call $down (i32.sub (local.get $n) (i32.const 1))))))))";

    private static final String COUNT_TO = "(module (global $i (mut i64) (i64.const 0))"
            + " (func (export \"count\") (param $n i64) (result i64)"
            + "   (loop $l (global.set $i (i64.add (global.get $i) (i64.const 1)))"
            + "            (br_if $l (i64.lt_u (global.get $i) (local.get $n))))"
            + "   (global.get $i)))";

    private static Instance instance(String wat) {
        return Instance.instantiate(
                CompiledModule.compile(Wat.toWasm(wat)), Imports.none(), new Store(), Limits.DEFAULT);
    }

    private static Machine compiled(Instance instance) {
        return new Machine(instance.store(), Limits.DEFAULT).tier(Machine.Tier.COMPILED);
    }

    @Test
    void outOfBoundsAccessesTrapWithTheSpecKindInCompiledCode() {
        Instance instance = instance(MEMORY);
        Machine machine = compiled(instance);

        assertThat(machine.invoke(instance.function("load"), 65532)).containsExactly(0);
        assertThat(((WasmFunction) instance.function("load")).jit).isNotNull(); // it did run compiled
        for (Object[] call :
                new Object[][] {{"load", 65533L}, {"load", -1L}, {"loadFar", 0L}, {"store64", 65529L}, {"load8", 65536L}
                }) {
            assertThatThrownBy(() -> compiled(instance).invoke(instance.function((String) call[0]), (Long) call[1]))
                    .as(call[0] + "(" + call[1] + ")")
                    .isInstanceOfSatisfying(
                            TrapException.class,
                            t -> assertThat(t.kind()).isEqualTo(TrapException.Kind.OUT_OF_BOUNDS_MEMORY));
        }
        assertThat(compiled(instance).invoke(instance.function("load8"), 65535)).containsExactly(0);
    }

    @Test
    void infiniteRecursionTrapsCallStackExhaustedAndDeepRecursionCompletes() {
        Instance instance = instance(RECURSION);

        assertThatThrownBy(() -> compiled(instance).invoke(instance.function("forever"), 0))
                .isInstanceOfSatisfying(
                        TrapException.class,
                        t -> assertThat(t.kind()).isEqualTo(TrapException.Kind.CALL_STACK_EXHAUSTED));
        // Deeper than compiled frames may nest on the Java stack: the rest runs in the interpreter.
        assertThat(compiled(instance).invoke(instance.function("down"), 15_000)).containsExactly(15_000);
    }

    @Test
    void aFunctionTooLargeForOneJvmMethodStaysInterpretedAndItsCallersCallIt() {
        // one expression: the operand stack is never empty inside, so it cannot be split into regions
        StringBuilder big = new StringBuilder("(module (func $big (export \"big\") (param $x i32) (result i32)");
        big.append(" local.get $x");
        for (int i = 0; i < 40_000; i++) {
            big.append(" i32.const ").append(i % 7).append(" i32.add");
        }
        big.append(")");
        big.append(" (func (export \"twice\") (param i32) (result i32) (call $big (call $big (local.get 0)))))");
        int sum = 0;
        for (int i = 0; i < 40_000; i++) {
            sum += i % 7;
        }
        Instance instance = instance(big.toString());
        Machine machine = compiled(instance);

        assertThat(machine.invoke(instance.function("twice"), 1)).containsExactly(1 + 2L * sum);
        assertThat(((WasmFunction) instance.function("big")).jit).isNull();
        assertThat(((WasmFunction) instance.function("twice")).jit).isNotNull();
    }

    @Test
    void freezeInACompiledTightLoopStopsAtItsBackEdgeAndResumesInTheInterpreter() throws Exception {
        Instance instance = instance(COUNT_TO);
        Machine machine = compiled(instance);
        long n = 100_000_000L;
        machine.start(instance.function("count"), n);
        // A slice first, so the loop is under way in compiled code; a request made between slices is kept until the
        // next safepoint, which is the loop's back-edge once the next slice re-enters it (no timing involved).
        assertThat(machine.run(50_000)).isEqualTo(Machine.RunResult.OUT_OF_FUEL);
        machine.requestFreeze();
        assertThat(machine.run(Long.MAX_VALUE)).isEqualTo(Machine.RunResult.FROZEN);

        byte[] blob = StateBlob.encode(Snapshots.capture(instance, machine));
        Snapshots.Restored restored = Snapshots.restore(
                instance.module(), StateBlob.decode(blob), Imports.none(), new Store(), Limits.DEFAULT);
        Machine resumed = restored.machine().tier(Machine.Tier.INTERP);
        assertThat(resumed.run(Long.MAX_VALUE)).isEqualTo(Machine.RunResult.COMPLETED);
        assertThat(resumed.results()).containsExactly(n);
    }

    @Test
    void aFrameFrozenInCompiledCodeReentersCompiledCodeAtItsSafepoint() throws Exception {
        Instance instance = instance(COUNT_TO);
        Machine machine = compiled(instance);
        long n = 300_000_000L;
        machine.start(instance.function("count"), n);
        assertThat(machine.run(50_000)).isEqualTo(Machine.RunResult.OUT_OF_FUEL); // a slice, ended at a back-edge

        byte[] blob = StateBlob.encode(Snapshots.capture(instance, machine));
        Snapshots.Restored restored = Snapshots.restore(
                instance.module(), StateBlob.decode(blob), Imports.none(), new Store(), Limits.DEFAULT);
        Machine resumed = restored.machine().tier(Machine.Tier.COMPILED);
        assertThat(resumed.run(Long.MAX_VALUE)).isEqualTo(Machine.RunResult.COMPLETED);
        assertThat(resumed.results()).containsExactly(n);
        assertThat(resumed.jitResumes).isEqualTo(1);
        // and the same machine, sliced: every slice re-enters compiled code where the last one stopped
        Machine sliced = compiled(instance);
        sliced.start(instance.function("count"), n + 1_000_000);
        int slices = 1;
        while (sliced.run(20_000_000) == Machine.RunResult.OUT_OF_FUEL) {
            slices++;
        }
        assertThat(sliced.results()).containsExactly(n + 1_000_000);
        assertThat(sliced.jitResumes).isEqualTo(slices - 1).isPositive();
    }

    @Test
    void generatedClassesPassTheBytecodeVerifier() {
        for (String wat : new String[] {MEMORY, RECURSION, COUNT_TO}) {
            byte[] bytes = JitCompiler.classFile(CompiledModule.compile(Wat.toWasm(wat)));
            java.io.StringWriter problems = new java.io.StringWriter();
            org.objectweb.asm.util.CheckClassAdapter.verify(
                    new org.objectweb.asm.ClassReader(bytes),
                    CompiledTierTest.class.getClassLoader(),
                    false,
                    new java.io.PrintWriter(problems));
            assertThat(problems.toString()).as(wat).isEmpty();
        }
    }

    @Test
    void theAutoTierRunsInterpretedUntilTheCodeIsCompiledInTheBackgroundThenCompiled() {
        Instance instance = instance(RECURSION.replace("down", "down2")); // a module of its own: not cached yet
        FunctionRef down = instance.function("down2");
        Machine machine = new Machine(instance.store(), Limits.DEFAULT).tier(Machine.Tier.AUTO);

        assertThat(machine.invoke(down, 100)).containsExactly(100);
        await("compiled code attached")
                .atMost(Duration.ofMinutes(2))
                .pollInSameThread()
                .pollInterval(Duration.ofMillis(2))
                .until(() -> {
                    machine.invoke(down, 100);
                    return ((WasmFunction) down).jit != null;
                });
        assertThat(machine.invoke(down, 1_000)).containsExactly(1_000);
    }

    /**
     * Stops at random safepoints, compiled and interpreted alike: a slice of random fuel ends at one,
     * and half the time a freeze is requested first, so it is honoured at the slice's first safepoint.
     * Each state goes through its encoded form into a new session, instance and machine, which resumes
     * in the other tier half of the time. Seeded slices, not timers, choose the points, so how fast the
     * machine runs changes nothing. The output is the native build's.
     */
    @Test
    void randomFreezesWhileRunningResumeInEitherTierWithTheSameOutput() throws Exception {
        randomFreezes("digest", null);
    }

    /**
     * The same with every function of more than 60 instructions split into regions, methods of their
     * own (most of the program's code then runs in them): frames stopped in a region resume in
     * either tier and the output stays the native build's.
     */
    @Test
    void framesStoppedInsideRegionsOfSplitFunctionsResumeInEitherTierWithTheSameOutput() throws Exception {
        randomFreezes("strings", 60);
    }

    /**
     * {@code f}'s last statements return: split there, the code after its last region is unreachable.
     * {@code g} is split inside a block with a result.
     */
    private static final String RETURNS_AT_END = "(module (func (export \"f\") (param i32) (result i32) (local i32)"
            + " (local.set 1 (i32.mul (local.get 0) (i32.const 3))) (local.set 1 (i32.add (local.get 1) (i32.const 5)))"
            + " (local.set 1 (i32.xor (local.get 1) (i32.const 9))) (local.set 1 (i32.add (local.get 1) (local.get 0)))"
            + " (if (i32.eqz (local.get 0)) (then (return (i32.const 42))))"
            + " (return (i32.add (local.get 1) (i32.const 1))))"
            // statements split into regions inside a block that has a result: no edge from a region
            // call may reach that block's end without its value
            + " (func (export \"g\") (param i32) (result i32) (local i32)"
            + "   (block (result i32)"
            + "     (local.set 1 (i32.add (local.get 0) (i32.const 1))) (local.set 1 (i32.mul (local.get 1) (i32.const 3)))"
            + "     (local.set 1 (i32.xor (local.get 1) (i32.const 5))) (local.set 1 (i32.add (local.get 1) (i32.const 7)))"
            + "     (local.get 1))))";

    @Test
    void splitFunctionsWhoseRegionsReturnOrSitInBlocksWithResultsVerifyAndRun() {
        CompiledModule module = CompiledModule.compile(Wat.toWasm(RETURNS_AT_END));
        assertThat(verifierProblems(JitCompiler.generate(module, 8).classFile()))
                .isEmpty();
        Instance instance = Instance.instantiate(module, Imports.none(), new Store(), Limits.DEFAULT);
        JitBridge.attach(instance, JitCompiler.load(JitCompiler.generate(module, 8)));
        Machine machine = compiled(instance);

        assertThat(machine.invoke(instance.function("f"), 7)).containsExactly((((7 * 3) + 5) ^ 9) + 7 + 1);
        assertThat(machine.invoke(instance.function("f"), 0)).containsExactly(42);
        assertThat(machine.invoke(instance.function("g"), 4)).containsExactly((((4 + 1) * 3) ^ 5) + 7);
        assertThat(((WasmFunction) instance.function("g")).jit).isNotNull();
    }

    @Test
    void everyGuestsGeneratedClassPassesTheBytecodeVerifier() throws Exception {
        for (String name : List.of("lua", "bzip2", "strings")) {
            CompiledModule module = CompiledModule.compile(GuestRun.wasm(name));
            assertThat(verifierProblems(JitCompiler.generate(module).classFile()))
                    .as(name)
                    .isEmpty();
        }
    }

    private static String verifierProblems(byte[] classFile) {
        java.io.StringWriter problems = new java.io.StringWriter();
        org.objectweb.asm.util.CheckClassAdapter.verify(
                new org.objectweb.asm.ClassReader(classFile),
                CompiledTierTest.class.getClassLoader(),
                false,
                new java.io.PrintWriter(problems));
        return problems.toString();
    }

    @Test
    void splitFunctionsPassTheBytecodeVerifier() throws Exception {
        CompiledModule module = CompiledModule.compile(GuestRun.wasm("float"));
        byte[] bytes = JitCompiler.generate(module, 60).classFile();
        assertThat(verifierProblems(bytes)).isEmpty();
        List<String> regions = new java.util.ArrayList<>();
        new org.objectweb.asm.ClassReader(bytes)
                .accept(
                        new org.objectweb.asm.ClassVisitor(org.objectweb.asm.Opcodes.ASM9) {
                            @Override
                            public org.objectweb.asm.MethodVisitor visitMethod(
                                    int access, String name, String desc, String sig, String[] ex) {
                                if (name.contains("_")) {
                                    regions.add(name);
                                }
                                return null;
                            }
                        },
                        0);
        assertThat(regions).hasSizeGreaterThan(50);
    }

    /** {@code regionLimit}: compile with that limit and attach the code to every instance; null: the default tier. */
    private static void randomFreezes(String name, Integer regionLimit) throws Exception {
        CompiledModule module = CompiledModule.compile(GuestRun.wasm(name));
        JitCompiler.JitModule code =
                regionLimit == null ? null : JitCompiler.load(JitCompiler.generate(module, regionLimit));
        if (code == null) {
            module.compileTier();
        }
        Random random = new Random(20261206L);
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        byte[] stdin = new byte[0];
        WasiSession session = GuestRun.host(stdout, stdin).args(List.of(name)).build();
        Instance instance =
                Instance.instantiate(module, new WasiPreview1(session).imports(), new Store(), Limits.DEFAULT);
        JitBridge.attach(instance, code);
        Machine machine = new Machine(instance.store(), Limits.DEFAULT).tier(Machine.Tier.COMPILED);
        machine.start(instance.function("_start"));
        int freezes = 0;
        int resumedCompiled = 0;
        int exit = -1;
        try {
            while (true) {
                Machine m = machine;
                boolean requested = random.nextBoolean();
                if (requested) {
                    m.requestFreeze();
                }
                Machine.RunResult r = m.run(1 + random.nextInt(200_000));
                if (r == Machine.RunResult.COMPLETED) {
                    exit = 0;
                    break;
                }
                // A requested freeze stops the slice at its first safepoint, unless a tiny slice ran out of fuel first.
                assertThat(r)
                        .isIn(
                                requested
                                        ? List.of(Machine.RunResult.FROZEN, Machine.RunResult.OUT_OF_FUEL)
                                        : List.of(Machine.RunResult.OUT_OF_FUEL));
                freezes++;
                byte[] blob = StateBlob.encode(Snapshots.capture(instance, m));
                session = GuestRun.host(stdout, stdin)
                        .restore(WasiState.parseFrom(session.capture().toByteArray()), 1 << 20);
                Snapshots.Restored restored = Snapshots.restore(
                        module,
                        StateBlob.decode(blob),
                        new WasiPreview1(session).imports(),
                        new Store(),
                        Limits.DEFAULT);
                instance = restored.instance();
                JitBridge.attach(instance, code);
                boolean compiledNext = random.nextBoolean();
                resumedCompiled += compiledNext ? 1 : 0;
                machine = restored.machine().tier(compiledNext ? Machine.Tier.COMPILED : Machine.Tier.INTERP);
                machine.cancelFreezeRequest();
            }
        } catch (ProcessExit e) {
            exit = e.status();
        }

        assertThat(exit).isZero();
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo(GuestRun.expected(name));
        assertThat(freezes).isGreaterThanOrEqualTo(3);
        assertThat(resumedCompiled).isBetween(1, freezes - 1);
    }
}
