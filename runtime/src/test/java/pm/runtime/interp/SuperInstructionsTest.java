package pm.runtime.interp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import pm.runtime.support.Wat;
import pm.v1.ExecutionState;
import pm.v1.Value;

/** Adjacent instructions are fused within a basic block, never across a branch target. */
class SuperInstructionsTest {
    private static CompiledFunction only(String wat) {
        return CompiledModule.compile(Wat.toWasm(wat)).functions[0];
    }

    @Test
    void twoLocalGetsBecomeOneOpThatKeepsTheFirstOffset() {
        CompiledFunction f = only("(module (func (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))");

        assertThat(f.code[0]).isEqualTo(Op.LOCAL_GET2);
        assertThat(f.offsetOf(0)).isZero();
        assertThat(f.pcOf(2)).as("the second local.get is inside the fused op").isEqualTo(-1);
    }

    @Test
    void nothingIsFusedAcrossALoopHeader() {
        CompiledFunction f =
                only("(module (func (param i32) (result i32) local.get 0 (loop (result i32) local.get 0) i32.add))");

        assertThat(f.code[0]).isEqualTo(Op.LOCAL_GET);
        assertThat(f.code[2]).isEqualTo(Op.LOCAL_GET);
    }

    @Test
    void fusedForwardBranchStillLandsAfterItsBlock() {
        String wat = "(module (func (export \"f\") (param i32) (result i32)"
                + " (block (br_if 0 (i32.eqz (local.get 0))) (return (i32.const 7))) (i32.const 9)))";
        CompiledModule module = CompiledModule.compile(Wat.toWasm(wat));
        Instance instance = Instance.instantiate(module, Imports.none(), new Store(), Limits.DEFAULT);
        Machine machine = new Machine(instance.store(), Limits.DEFAULT);

        assertThat(machine.invoke(instance.function("f"), 0)).containsExactly(9);
        assertThat(machine.invoke(instance.function("f"), 1)).containsExactly(7);
        assertThat(module.functions[0].code).contains(Op.BR_UNLESS);
    }

    @Test
    void aStateStoppedInsideAFusedPairResumesOnUnfusedCode() {
        CompiledModule module = CompiledModule.compile(Wat.toWasm(
                "(module (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))"));
        Instance instance = Instance.instantiate(module, Imports.none(), new Store(), Limits.DEFAULT);
        Machine machine = new Machine(instance.store(), Limits.DEFAULT);
        machine.start(instance.function("add"), 40, 2);
        machine.run(0);
        ExecutionState atStart = Snapshots.capture(instance, machine);
        // As another tier would write it: after local.get 0, before local.get 1 (offset 2).
        ExecutionState inside = atStart.toBuilder()
                .setFrames(
                        0,
                        atStart.getFrames(0).toBuilder()
                                .setOffset(2)
                                .addOperands(Value.newBuilder().setI32(40)))
                .build();

        Snapshots.Restored restored = Snapshots.restore(module, inside, Imports.none(), new Store(), Limits.DEFAULT);

        assertThat(restored.machine().run(Long.MAX_VALUE)).isEqualTo(Machine.RunResult.COMPLETED);
        assertThat(restored.machine().results()).containsExactly(42);
    }
}
