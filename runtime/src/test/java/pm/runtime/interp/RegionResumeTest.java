package pm.runtime.interp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import pm.runtime.image.StateBlob;
import pm.runtime.support.Wat;

/**
 * A function split into regions re-enters compiled code where it stopped, also inside a region:
 * slices and images of a split loop resume in compiled code (not in the interpreter until the
 * invocation returns), switching tiers on the way, with the result of an uninterrupted run.
 */
class RegionResumeTest {
    /** A loop of statements, split into regions of a few instructions; its back-edge sits inside the last one. */
    private static final String SPLIT_LOOP = "(module (func (export \"mix\") (param $n i64) (result i64)"
            + " (local $a i64) (local $b i64)"
            + " (loop $l"
            + "   (local.set $a (i64.add (local.get $a) (i64.const 1)))"
            + "   (local.set $b (i64.xor (local.get $b) (i64.mul (local.get $a) (i64.const 0x9E3779B97F4A7C15))))"
            + "   (local.set $b (i64.rotl (local.get $b) (i64.const 5)))"
            + "   (local.set $b (i64.add (local.get $b) (i64.const 7)))"
            + "   (br_if $l (i64.lt_u (local.get $a) (local.get $n))))"
            + " (i64.add (local.get $b) (local.get $a))))";

    private static final int REGION_LIMIT = 8;

    private static long mix(long n) {
        long a = 0;
        long b = 0;
        do {
            a++;
            b ^= a * 0x9E3779B97F4A7C15L;
            b = Long.rotateLeft(b, 5);
            b += 7;
        } while (Long.compareUnsigned(a, n) < 0);
        return b + a;
    }

    private final CompiledModule module = CompiledModule.compile(Wat.toWasm(SPLIT_LOOP));
    private final JitCompiler.Generated generated = JitCompiler.generate(module, REGION_LIMIT);
    private final JitCompiler.JitModule code = JitCompiler.load(generated);

    private Instance instance() {
        Instance instance = Instance.instantiate(module, Imports.none(), new Store(), Limits.DEFAULT);
        JitBridge.attach(instance, code);
        return instance;
    }

    @Test
    void theSplitFunctionHasRegionsAndResumeCopiesOfThem() {
        java.util.List<String> methods = new java.util.ArrayList<>();
        new org.objectweb.asm.ClassReader(generated.classFile())
                .accept(
                        new org.objectweb.asm.ClassVisitor(org.objectweb.asm.Opcodes.ASM9) {
                            @Override
                            public org.objectweb.asm.MethodVisitor visitMethod(
                                    int access, String name, String desc, String sig, String[] ex) {
                                methods.add(name);
                                return null;
                            }
                        },
                        0);
        assertThat(methods).contains("f0", "r0", "f0_0", "r0_0");
        java.io.StringWriter problems = new java.io.StringWriter();
        org.objectweb.asm.util.CheckClassAdapter.verify(
                new org.objectweb.asm.ClassReader(generated.classFile()),
                getClass().getClassLoader(),
                false,
                new java.io.PrintWriter(problems));
        assertThat(problems.toString()).isEmpty();
    }

    @Test
    void slicesOfASplitFunctionReenterCompiledCodeWhereTheLastOneStopped() {
        Instance instance = instance();
        long n = 3_000_000;
        Machine sliced = new Machine(instance.store(), Limits.DEFAULT).tier(Machine.Tier.COMPILED);
        sliced.start(instance.function("mix"), n);
        int slices = 1;
        while (sliced.run(250_000 + 7L * slices) == Machine.RunResult.OUT_OF_FUEL) {
            slices++;
        }

        assertThat(sliced.results()).containsExactly(mix(n));
        assertThat(slices).isGreaterThan(10);
        assertThat(sliced.jitResumes).isEqualTo(slices - 1);
    }

    /**
     * Compiled slices end at the loop's back-edge, inside a region; the interpreter's legs are asked
     * to freeze before they run, so they too stop at that back-edge, a resume site: every compiled
     * leg re-enters compiled code there.
     */
    @Test
    void imagesOfASplitFunctionResumeInEitherTierWithTheSameResult() throws Exception {
        long n = 2_000_000;
        Instance instance = instance();
        Machine machine = new Machine(instance.store(), Limits.DEFAULT).tier(Machine.Tier.COMPILED);
        machine.start(instance.function("mix"), n);
        int legs = 0;
        int compiledResumes = 0;
        Machine.RunResult r;
        while (true) {
            boolean compiled = machine.tier() == Machine.Tier.COMPILED;
            if (!compiled) {
                machine.requestFreeze();
            }
            r = machine.run(compiled ? 100_000 + 13_331L * legs : Long.MAX_VALUE);
            compiledResumes += machine.jitResumes;
            legs++;
            if (r == Machine.RunResult.COMPLETED) {
                break;
            }
            assertThat(r).isEqualTo(compiled ? Machine.RunResult.OUT_OF_FUEL : Machine.RunResult.FROZEN);
            byte[] image = StateBlob.encode(Snapshots.capture(instance, machine));
            Snapshots.Restored restored =
                    Snapshots.restore(module, StateBlob.decode(image), Imports.none(), new Store(), Limits.DEFAULT);
            instance = restored.instance();
            JitBridge.attach(instance, code);
            machine = restored.machine().tier(compiled ? Machine.Tier.INTERP : Machine.Tier.COMPILED);
        }

        assertThat(machine.results()).containsExactly(mix(n));
        assertThat(legs).isGreaterThan(10);
        assertThat(compiledResumes).isEqualTo((legs + 1) / 2 - 1); // every compiled leg but the first
    }
}
