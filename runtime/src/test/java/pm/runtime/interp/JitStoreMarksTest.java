package pm.runtime.interp;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.types.Instruction;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import pm.runtime.support.Wat;

/** Which stores of straight-line code mark for a group, and which for themselves (JitStoreMarks). */
class JitStoreMarksTest {
    /** The plan's marks for each store of the module's only function, in body order (null: none). */
    private static List<JitStoreMarks.Marks> marks(String body) {
        CompiledModule module = CompiledModule.compile(
                Wat.toWasm("(module (memory 1) (func $f (param i32 i32) (local i64) " + body + "))"));
        List<? extends Instruction> ins =
                module.wasm.codeSection().getFunctionBody(0).instructions();
        JitStoreMarks plan = JitStoreMarks.plan(ins, Set.of());
        List<JitStoreMarks.Marks> out = new ArrayList<>();
        for (int i = 0; i < ins.size(); i++) {
            if (NumericOps.isStore(ins.get(i).opcode())) {
                out.add(plan.marks(i, JitStoreMarks.width(ins.get(i).opcode())));
            }
        }
        return out;
    }

    private static JitStoreMarks.Marks m(int lo, int hi) {
        return new JitStoreMarks.Marks(lo, hi);
    }

    @Test
    void storesThroughOneLocalMarkOnceForAllAtTheFirst() {
        assertThat(marks("(i32.store offset=8 (local.get 0) (i32.const 1))"
                        + " (i64.store (local.get 0) (i64.const 2))"
                        + " (i32.store16 offset=20 (local.get 0) (local.get 1))"))
                .containsExactly(m(-8, 13), null, null);
    }

    @Test
    void aStoreOnItsOwnMarksItsFirstAndLastByte() {
        assertThat(marks("(i64.store offset=8 (local.get 0) (i64.const 1)) (i32.store8 (local.get 1) (i32.const 1))"))
                .containsExactly(m(0, 7), m(0, 0));
    }

    @Test
    void equalAddressesComputedTwiceAreOneGroup() {
        assertThat(marks("(i32.store (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2))) (i32.const 1))"
                        + " (i32.store offset=4 (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2)))"
                        + "   (i32.load (local.get 0)))"))
                .containsExactly(m(0, 7), null);
        // a different shift: another address
        assertThat(marks("(i32.store (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2))) (i32.const 1))"
                        + " (i32.store offset=4 (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 3)))"
                        + "   (i32.const 1))"))
                .containsExactly(m(0, 3), m(0, 3));
    }

    @Test
    void aSetOfTheLocalBetweenEndsTheGroup() {
        assertThat(marks("(i32.store (local.get 0) (i32.const 1))"
                        + " (local.set 0 (i32.add (local.get 0) (i32.const 4)))"
                        + " (i32.store (local.get 0) (i32.const 2))"))
                .containsExactly(m(0, 3), m(0, 3));
        // a tee is a set as well
        assertThat(marks("(i32.store (local.get 0) (i32.const 1))"
                        + " (i32.store (local.tee 0 (local.get 1)) (i32.const 2))"
                        + " (i32.store offset=4 (local.get 0) (i32.const 3))"))
                .containsExactly(m(0, 3), m(0, 7), null);
    }

    @Test
    void branchesCallsLabelsAndGrowsEndTheRunOfCode() {
        for (String between : List.of(
                "(drop (memory.grow (i32.const 1)))",
                "(call $f (local.get 0) (local.get 1))",
                "(br_if 0 (local.get 1))",
                "(block (nop))",
                "(loop (nop))",
                "(memory.fill (local.get 0) (i32.const 0) (i32.const 4))")) {
            assertThat(marks("(block (i32.store (local.get 0) (i32.const 1)) " + between
                            + " (i32.store offset=4 (local.get 0) (i32.const 2)))"))
                    .as(between)
                    .containsExactly(m(0, 3), m(0, 3));
        }
    }

    @Test
    void aGroupWiderThanAPageMarksEachStoreItself() {
        assertThat(marks(
                        "(i32.store (local.get 0) (i32.const 1)) (i32.store offset=65533 (local.get 0) (i32.const 2))"))
                .containsExactly(m(0, 3), m(0, 3));
        assertThat(marks(
                        "(i32.store (local.get 0) (i32.const 1)) (i32.store offset=65532 (local.get 0) (i32.const 2))"))
                .containsExactly(m(0, 65535), null);
    }

    @Test
    void regionBoundariesEndTheRunOfCode() {
        CompiledModule module = CompiledModule.compile(Wat.toWasm("(module (memory 1) (func (param i32)"
                + " (i32.store (local.get 0) (i32.const 1)) (i32.store offset=4 (local.get 0) (i32.const 2))))"));
        List<? extends Instruction> ins =
                module.wasm.codeSection().getFunctionBody(0).instructions();
        // local.get, i32.const, store, local.get, i32.const, store, end: a region starting at the second local.get
        assertThat(JitStoreMarks.plan(ins, Set.of()).marks(5, 4)).isNull();
        assertThat(JitStoreMarks.plan(ins, Set.of(3)).marks(5, 4)).isEqualTo(m(0, 3));
        assertThat(JitStoreMarks.plan(ins, Set.of(3)).marks(2, 4)).isEqualTo(m(0, 3));
    }
}
