package pm.runtime.interp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import pm.runtime.TrapException;
import pm.runtime.support.Wat;

/** The store barrier: exactly the pages a write landed in are dirty, whatever wrote them. */
class DirtyPagesTest {
    private static final String MODULE = "(module (memory 4 8)"
            + " (data (i32.const 131072) \"seed\")"
            + " (func (export \"i64\") (param i32) (i64.store (local.get 0) (i64.const -1)))"
            + " (func (export \"i32\") (param i32) (i32.store (local.get 0) (i32.const -1)))"
            + " (func (export \"i16\") (param i32) (i32.store16 (local.get 0) (i32.const -1)))"
            + " (func (export \"i8\") (param i32) (i32.store8 (local.get 0) (i32.const -1)))"
            + " (func (export \"load\") (param i32) (result i64) (i64.load (local.get 0)))"
            + " (func (export \"fill\") (param i32 i32) (memory.fill (local.get 0) (i32.const 7) (local.get 1)))"
            + " (func (export \"copy\") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))"
            + " (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))"
            + " (func (export \"two\") (param i32 i32) (i64.store (local.get 0) (i64.const 1)) (i64.store (local.get 1) (i64.const 2)))"
            + " (func (export \"forever\") (param i32) (loop (i32.store (local.get 0) (i32.const 3)) (br 0)))"
            // two groups of stores for compiled code to mark once each (JitStoreMarks): through local 0,
            // and through local 0 + 100 computed twice; the first store of each is neither the lowest
            // nor the highest of its group
            + " (func (export \"group\") (param i32)"
            + "  (i32.store offset=4 (local.get 0) (i32.const 1))"
            + "  (i64.store (local.get 0) (i64.const 2))"
            + "  (i32.store16 offset=65530 (local.get 0) (i32.const 3))"
            + "  (i32.store8 offset=40000 (i32.add (local.get 0) (i32.const 100)) (i32.const 4))"
            + "  (i64.store offset=25000 (i32.add (local.get 0) (i32.const 100)) (i64.const 5))"
            + "  (i32.store offset=24996 (i32.add (local.get 0) (i32.const 100)) (i32.const 6)))"
            + " (func (export \"groupTrap\") (param i32)"
            + "  (i32.store (local.get 0) (i32.const 1)) (i32.store offset=65000 (local.get 0) (i32.const 2))))";

    private final Instance instance = Instance.instantiate(
            CompiledModule.compile(Wat.toWasm(MODULE)), Imports.none(), new Store(), Limits.DEFAULT);
    private final Machine machine = new Machine(instance.store(), Limits.DEFAULT);

    private BitSet after(String function, long... args) {
        return after(machine, function, args);
    }

    private BitSet after(Machine m, String function, long... args) {
        instance.memory().takeDirtyPages();
        m.invoke(instance.function(function), args);
        return instance.memory().takeDirtyPages();
    }

    private static BitSet pages(int... pages) {
        BitSet b = new BitSet();
        for (int p : pages) {
            b.set(p);
        }
        return b;
    }

    @Test
    void aNewMemoryIsAllDirtyUntilTaken() {
        assertThat(instance.memory().takeDirtyPages()).isEqualTo(pages(0, 1, 2, 3));
        assertThat(instance.memory().takeDirtyPages()).isEqualTo(new BitSet());
    }

    @Test
    void storesMarkEveryPageTheirBytesLandIn() {
        assertThat(after("i64", 65536 - 8)).isEqualTo(pages(0));
        assertThat(after("i64", 65536 - 7)).isEqualTo(pages(0, 1));
        assertThat(after("i64", 65536 - 1)).isEqualTo(pages(0, 1));
        assertThat(after("i32", 2 * 65536 - 3)).isEqualTo(pages(1, 2));
        assertThat(after("i32", 2 * 65536 - 4)).isEqualTo(pages(1));
        assertThat(after("i16", 3 * 65536 - 1)).isEqualTo(pages(2, 3));
        assertThat(after("i8", 3 * 65536)).isEqualTo(pages(3));
        assertThat(after("load", 65536 - 4)).isEqualTo(new BitSet());
    }

    @Test
    void compiledStoresMarkEveryPageTheirBytesLandIn() {
        Machine compiled = new Machine(instance.store(), Limits.DEFAULT).tier(Machine.Tier.COMPILED);
        assertThat(after(compiled, "i64", 65536 - 8)).isEqualTo(pages(0));
        assertThat(after(compiled, "i64", 65536 - 7)).isEqualTo(pages(0, 1));
        assertThat(after(compiled, "i64", 65536 - 1)).isEqualTo(pages(0, 1));
        assertThat(after(compiled, "i32", 2 * 65536 - 3)).isEqualTo(pages(1, 2));
        assertThat(after(compiled, "i32", 2 * 65536 - 4)).isEqualTo(pages(1));
        assertThat(after(compiled, "i16", 3 * 65536 - 1)).isEqualTo(pages(2, 3));
        assertThat(after(compiled, "i8", 3 * 65536)).isEqualTo(pages(3));
        assertThat(after(compiled, "i8", 4 * 65536 - 1)).isEqualTo(pages(3));
        assertThat(after(compiled, "load", 65536 - 4)).isEqualTo(new BitSet());
        assertThatThrownBy(() -> after(compiled, "i32", 4 * 65536 - 3)).isInstanceOf(TrapException.class);
        assertThat(instance.memory().takeDirtyPages()).isEqualTo(new BitSet());
        assertThat(((WasmFunction) instance.function("i64")).jit).isNotNull();
    }

    @Test
    void compiledCodeRunsWithoutMarksWhileNoOneTakesPagesAndTheNextTakeReportsEveryPage() {
        Machine compiled = new Machine(instance.store(), Limits.DEFAULT).tier(Machine.Tier.COMPILED);
        MemoryInstance memory = instance.memory();
        memory.takeDirtyPages();
        memory.logLapseNanos = -1; // the log lapses before the next slice

        compiled.invoke(instance.function("i8"), 3 * 65536);

        assertThat(instance.jit.storeBarrier)
                .as("the variant without marks ran")
                .isFalse();
        assertThat(memory.takeDirtyPages())
                .as("unmarked writes may be anywhere")
                .isEqualTo(pages(0, 1, 2, 3));
        memory.logLapseNanos = MemoryInstance.LOG_LAPSE_NANOS;

        compiled.invoke(instance.function("i8"), 3 * 65536);

        assertThat(instance.jit.storeBarrier)
                .as("the take turned the log on: the marking variant ran")
                .isTrue();
        assertThat(memory.takeDirtyPages()).isEqualTo(pages(3));
    }

    @Test
    void whileTheMarkingVariantCompilesTheInterpreterRunsSoTheNextTakeStaysExact() {
        List<Runnable> compiles = new ArrayList<>();
        JitCache cache = new JitCache(4, 1 << 20, null, compiles::add);
        Instance inst = Instance.instantiate(
                CompiledModule.compile(Wat.toWasm(MODULE), cache), Imports.none(), new Store(), Limits.DEFAULT);
        Machine auto = new Machine(inst.store(), Limits.DEFAULT).tier(Machine.Tier.AUTO);
        MemoryInstance memory = inst.memory();

        auto.invoke(inst.function("i8"), 0);
        assertThat(inst.jit).as("nothing compiled yet").isNull();
        compiles.remove(0).run(); // the variant without marks, wanted while no one takes pages
        auto.invoke(inst.function("i8"), 0);
        assertThat(inst.jit.storeBarrier).isFalse();

        memory.takeDirtyPages(); // the log turns on; the marking variant is not compiled yet
        auto.invoke(inst.function("i8"), 3 * 65536);
        assertThat(inst.jit).as("interpreted meanwhile").isNull();
        assertThat(memory.takeDirtyPages()).isEqualTo(pages(3));

        compiles.remove(0).run();
        auto.invoke(inst.function("i8"), 2 * 65536);
        assertThat(inst.jit.storeBarrier).isTrue();
        assertThat(memory.takeDirtyPages()).isEqualTo(pages(2));
        assertThat(compiles).isEmpty();
    }

    @Test
    void theDirtyLogIsOnFromATakeOrARestoreUntilItLapses() {
        MemoryInstance memory = new MemoryInstance(2, 4, 4);
        long now = System.nanoTime();
        assertThat(memory.logging(now)).as("no one has read the marks").isFalse();

        memory.takeDirtyPages();
        assertThat(memory.logging(System.nanoTime())).isTrue();
        assertThat(memory.logging(System.nanoTime() + MemoryInstance.LOG_LAPSE_NANOS + 1_000_000_000L))
                .isFalse();
        assertThat(memory.logging(System.nanoTime()))
                .as("lapsed until the next take")
                .isFalse();

        memory.adopt(new byte[2 * MemoryInstance.PAGE_SIZE]);
        assertThat(memory.logging(System.nanoTime()))
                .as("a restored memory is tracked against its image")
                .isTrue();
    }

    @Test
    void aCompiledStoreAfterAnotherMarksEveryPageItsBytesLandInToo() {
        Machine compiled = new Machine(instance.store(), Limits.DEFAULT).tier(Machine.Tier.COMPILED);
        assertThat(after(compiled, "two", 100, 200)).isEqualTo(pages(0));
        assertThat(after(compiled, "two", 100, 65536 + 8)).isEqualTo(pages(0, 1));
        // the second store ends in the page the first marked, and starts in the one before it
        assertThat(after(compiled, "two", 2 * 65536, 2 * 65536 - 4)).isEqualTo(pages(1, 2));
        assertThat(after(compiled, "two", 65536 - 4, 65536 + 100)).isEqualTo(pages(0, 1));
        assertThat(after(compiled, "two", 3 * 65536 + 8, 8)).isEqualTo(pages(0, 3));
    }

    @Test
    void compiledStoresMarkedOncePerGroupMarkEveryPageAnyOfThemWrote() {
        Machine compiled = new Machine(instance.store(), Limits.DEFAULT).tier(Machine.Tier.COMPILED);
        // every base near where one of the group's stores crosses a page boundary, compiled code
        // against the interpreter (which marks each store's own pages)
        java.util.TreeSet<Long> bases = new java.util.TreeSet<>();
        for (int page = 1; page <= 3; page++) {
            for (long off : new long[] {0, 4, 8, 65530, 65532, 40100, 25096, 25100, 25108}) {
                for (long d = -10; d <= 10; d++) {
                    long base = page * 65536L - off + d;
                    if (base >= 0 && base + 65532 <= 4 * 65536) {
                        bases.add(base);
                    }
                }
            }
        }
        int crossing = 0;
        for (long base : bases) {
            BitSet expected = after("group", base);
            assertThat(after(compiled, "group", base)).as("base " + base).isEqualTo(expected);
            crossing += expected.cardinality() > 1 ? 1 : 0;
        }
        assertThat(crossing).isPositive();
        assertThat(instance.jit.storeBarrier).isTrue();
        // the first store's own bytes lie in page 1; another store of its group reaches page 0
        // below it, or page 2 above it
        assertThat(after(compiled, "group", 65536 - 4)).isEqualTo(pages(0, 1));
        assertThat(after(compiled, "group", 2 * 65536 - 65530)).isEqualTo(pages(1, 2));
    }

    @Test
    void aCompiledGroupWhoseLaterStoreTrapsKeepsTheFirstStoresMarkOnTheLastPageOnly() {
        Machine compiled = new Machine(instance.store(), Limits.DEFAULT).tier(Machine.Tier.COMPILED);
        MemoryInstance memory = instance.memory();
        memory.takeDirtyPages();
        assertThat(memory.dirty.length).as("two dirty bytes a page").isEqualTo(2 * memory.pages());
        assertThatThrownBy(() -> compiled.invoke(instance.function("groupTrap"), 4 * 65536 - 4))
                .isInstanceOf(TrapException.class);
        assertThat(instance.jit.storeBarrier).isTrue();
        // the group's highest byte would have been in page 4, past the memory: the first store's
        // mark says pages 3 and 4, and a take reads it as page 3
        assertThat(memory.dirty[3 + 4]).isEqualTo((byte) 1);
        assertThat(memory.takeDirtyPages()).as("the first store wrote page 3").isEqualTo(pages(3));

        assertThatThrownBy(() -> compiled.invoke(instance.function("groupTrap"), 4 * 65536 - 4))
                .isInstanceOf(TrapException.class);
        machine.invoke(instance.function("grow"), 1);
        assertThat(memory.takeDirtyPages())
                .as("a grow keeps the mark on page 3, and its new page 4 is clean")
                .isEqualTo(pages(3));
        assertThat(after("i8", 4 * 65536 + 3)).isEqualTo(pages(4));
    }

    @Test
    void aCompiledLoopResumedAfterItsPagesWereTakenMarksThemAgain() {
        Machine compiled = new Machine(instance.store(), Limits.DEFAULT).tier(Machine.Tier.COMPILED);
        // each slice ends while the loop writes page 1, and its mark is taken before the next: a
        // resumed method that still thought page 1 marked would never mark it again
        compiled.start(instance.function("forever"), 65536 + 40);
        assertThat(compiled.run(10_000)).isEqualTo(Machine.RunResult.OUT_OF_FUEL);
        instance.memory().takeDirtyPages();

        for (int slice = 0; slice < 3; slice++) {
            assertThat(compiled.run(10_000)).isEqualTo(Machine.RunResult.OUT_OF_FUEL);
            assertThat(instance.memory().takeDirtyPages()).as("slice " + slice).isEqualTo(pages(1));
        }
        assertThat(compiled.jitResumes).as("the loop re-entered compiled code").isPositive();
        compiled.abort();
    }

    @Test
    void aTrappingStoreMarksNothing() {
        instance.memory().takeDirtyPages();
        assertThatThrownBy(() -> machine.invoke(instance.function("i64"), 4 * 65536 - 4))
                .isInstanceOf(TrapException.class);
        assertThat(instance.memory().takeDirtyPages()).isEqualTo(new BitSet());
    }

    @Test
    void bulkOperationsMarkTheirDestinationOnly() {
        assertThat(after("fill", 65536 - 1, 65536 + 2)).isEqualTo(pages(0, 1, 2));
        assertThat(after("copy", 3 * 65536, 0, 10)).isEqualTo(pages(3));
        assertThat(after("fill", 100, 0)).isEqualTo(new BitSet());
    }

    @Test
    void grownPagesAreCleanAndTrackedAfterwards() {
        assertThat(after("grow", 2)).isEqualTo(new BitSet());
        assertThat(after("i8", 5 * 65536 + 9)).isEqualTo(pages(5));
    }

    @Test
    void hostWritesAreMarkedThroughMarkDirty() {
        instance.memory().takeDirtyPages();
        instance.memory().markDirty(65536 * 2 - 1, 2);
        assertThat(instance.memory().takeDirtyPages()).isEqualTo(pages(1, 2));
    }
}
