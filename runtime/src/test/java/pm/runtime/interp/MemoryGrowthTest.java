package pm.runtime.interp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import org.junit.jupiter.api.Test;
import pm.runtime.support.Wat;

/**
 * Memory growth in small steps: a guest that grows one page at a time to a large memory gets there
 * (it used to copy the whole memory per grow, quadratic in the final size), sees every new page
 * zeroed, traps past the size as before, and the reserve behind the size never shows in images.
 * The time it takes is measured by {@code bench.MemoryGrowthBench}, not asserted here.
 */
class MemoryGrowthTest {
    /** grow(n): grows by one page n times, writing a marker at the end of each new page after checking it is zero. */
    static final String GROWER = "(module (memory (export \"mem\") 1)"
            + " (func (export \"grow\") (param $n i32) (result i32) (local $old i32) (local $sum i32)"
            + "  (block $done (loop $next"
            + "   (br_if $done (i32.eqz (local.get $n)))"
            + "   (local.set $old (memory.grow (i32.const 1)))"
            + "   (br_if $done (i32.lt_s (local.get $old) (i32.const 0)))"
            + "   (local.set $sum (i32.add (local.get $sum) (i32.load (i32.add (i32.shl (local.get $old) (i32.const 16)) (i32.const 65532)))))"
            + "   (i32.store (i32.add (i32.shl (local.get $old) (i32.const 16)) (i32.const 65532)) (local.get $old))"
            + "   (local.set $n (i32.sub (local.get $n) (i32.const 1)))"
            + "   (br $next)))"
            + "  (local.get $sum))"
            + " (func (export \"size\") (result i32) (memory.size))"
            + " (func (export \"peek\") (param i32) (result i32) (i32.load (local.get 0))))";

    private final Instance instance = Instance.instantiate(
            CompiledModule.compile(Wat.toWasm(GROWER)), Imports.none(), new Store(), Limits.DEFAULT);
    private final Machine machine = new Machine(instance.store(), Limits.DEFAULT);

    @Test
    void growingPageByPageToOneGibWorksAndEveryNewPageIsZero() {
        int steps = 16383; // to 1 GiB
        long sumOfFreshWords = machine.invoke(instance.function("grow"), steps)[0];
        assertThat(sumOfFreshWords).isZero();
        assertThat(machine.invoke(instance.function("size"))[0]).isEqualTo(16384);
        assertThat(instance.memory().pages()).isEqualTo(16384);
        assertThat(machine.invoke(instance.function("peek"), 16383L * 65536 + 65532)[0])
                .isEqualTo(16383);
    }

    @Test
    void theReserveIsNotMemory() {
        machine.invoke(instance.function("grow"), 3);
        MemoryInstance memory = instance.memory();
        assertThat(memory.byteSize()).isEqualTo(4 * 65536);
        assertThat(memory.bytes().length).isGreaterThan(memory.byteSize()); // reserved ahead
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> machine.invoke(instance.function("peek"), 4L * 65536 - 3))
                .isInstanceOf(pm.runtime.TrapException.class)
                .hasMessageContaining("out of bounds memory access");
        assertThat(memory.takeDirtyPages().length()).isLessThanOrEqualTo(4);
        assertThat(Snapshots.capture(instance, machine).getMemories(0).getPages())
                .isEqualTo(4);
        assertThat(memory.exactBytes()).hasSize(4 * 65536);
    }

    @Test
    void aRestoreTakesAnArrayWithItsReserve() {
        machine.invoke(instance.function("grow"), 3);
        byte[] withReserve = instance.memory().bytes().clone();
        Snapshots.Restored r = Snapshots.restore(
                instance.module(),
                Snapshots.captureWithoutPages(instance, machine),
                Imports.none(),
                new Store(),
                Limits.DEFAULT,
                withReserve);
        assertThat(r.instance().memory().pages()).isEqualTo(4);
        assertThat(r.machine().invoke(r.instance().function("peek"), 3L * 65536 + 65532)[0])
                .isEqualTo(3);
        assertThat(r.machine().invoke(r.instance().function("grow"), 1)[0]).isZero();
        assertThat(r.instance().memory().takeDirtyPages()).isEqualTo(pages(4));
    }

    private static BitSet pages(int... pages) {
        BitSet b = new BitSet();
        for (int p : pages) {
            b.set(p);
        }
        return b;
    }
}
