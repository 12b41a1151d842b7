package pm.runtime.interp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import pm.runtime.TrapException;
import pm.runtime.image.StateBlob;
import pm.runtime.support.Wat;

/**
 * Bulk instructions stop part-way for a freeze: the frame stays at the instruction with its operands
 * rewritten to the work left, the image is an ordinary one, and resuming in either tier finishes
 * with the memory (or table) an uninterrupted run makes. A freeze asked before a run is seen after
 * the first step of the first bulk instruction (the exported functions start with it), so each run
 * does one step: the number of stops is known in advance.
 */
class BulkFreezeTest {
    private static final int PAGES = 64;
    private static final int SEGMENT = 3 * Bulk.STEP + 123;
    private static final int TABLE = 4 * Bulk.STEP + 5;

    /** A loop (so that the function has a resume copy) that runs once, then 7 + 35. */
    private static final String TAIL = " (loop $l (br_if $l (i32.eqz (i32.const 1)))) (i32.add (i32.const 35))";

    /** Each bulk function keeps a 7 under its operands and returns 42. */
    private static final String MODULE = "(module (memory " + PAGES + ")"
            + " (table $t " + TABLE + " funcref)"
            + " (func $a) (func $b)"
            + " (data $d \"" + segmentText() + "\")"
            + " (func (export \"fill\") (param i32 i32 i32) (result i32)"
            + "   (i32.const 7) (memory.fill (local.get 0) (local.get 1) (local.get 2)) " + TAIL + ")"
            + " (func (export \"copy\") (param i32 i32 i32) (result i32)"
            + "   (i32.const 7) (memory.copy (local.get 0) (local.get 1) (local.get 2)) " + TAIL + ")"
            + " (func (export \"init\") (param i32 i32 i32) (result i32)"
            + "   (i32.const 7) (memory.init $d (local.get 0) (local.get 1) (local.get 2)) " + TAIL + ")"
            + " (func (export \"tableFillA\") (param i32 i32) (result i32)"
            + "   (i32.const 7) (table.fill $t (local.get 0) (ref.func $a) (local.get 1)) " + TAIL + ")"
            + " (func (export \"tableFillB\") (param i32 i32) (result i32)"
            + "   (i32.const 7) (table.fill $t (local.get 0) (ref.func $b) (local.get 1)) " + TAIL + ")"
            + " (func (export \"tableCopy\") (param i32 i32 i32) (result i32)"
            + "   (i32.const 7) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)) " + TAIL + ")"
            + " (elem declare func $a $b))";

    /** The passive segment: printable bytes from a fixed seed, none that a WebAssembly string must escape. */
    private static String segmentText() {
        Random random = new Random(7);
        StringBuilder s = new StringBuilder(SEGMENT);
        for (int i = 0; i < SEGMENT; i++) {
            s.append((char) ('a' + random.nextInt(26)));
        }
        return s.toString();
    }

    private static final CompiledModule COMPILED = CompiledModule.compile(Wat.toWasm(MODULE));

    private static Instance instance() {
        Instance instance = Instance.instantiate(COMPILED, Imports.none(), new Store(), Limits.DEFAULT);
        byte[] mem = instance.memory.bytes;
        for (int i = 0; i < mem.length; i++) {
            mem[i] = (byte) (i * 31 + (i >>> 9));
        }
        return instance;
    }

    /** Where a run with stops ended: the last instance (restored from the last image) and the result. */
    private record Ended(Instance instance, long result, int stops, int compiledResumes) {}

    /**
     * Runs {@code name} with a freeze asked before every run; after each stop the state goes through
     * an image into a new instance whose machine runs in the other tier than the last one.
     */
    private static Ended runWithStops(Instance instance, Machine.Tier first, String name, long... args)
            throws Exception {
        Machine machine = new Machine(instance.store(), Limits.DEFAULT).tier(first);
        machine.start(instance.function(name), args);
        Machine.Tier tier = first;
        int stops = 0;
        int compiledResumes = 0;
        while (true) {
            machine.requestFreeze();
            Machine.RunResult r = machine.run(Long.MAX_VALUE);
            compiledResumes += machine.jitResumes;
            if (r == Machine.RunResult.COMPLETED) {
                return new Ended(instance, machine.results()[0], stops, compiledResumes);
            }
            assertThat(r).isEqualTo(Machine.RunResult.FROZEN);
            stops++;
            byte[] image = StateBlob.encode(Snapshots.capture(instance, machine));
            Snapshots.Restored restored =
                    Snapshots.restore(COMPILED, StateBlob.decode(image), Imports.none(), new Store(), Limits.DEFAULT);
            instance = restored.instance();
            tier = tier == Machine.Tier.INTERP ? Machine.Tier.COMPILED : Machine.Tier.INTERP;
            machine = restored.machine().tier(tier);
        }
    }

    private static int stepsOf(int n) {
        return (n + Bulk.STEP - 1) / Bulk.STEP;
    }

    private static void assertResumesToSameMemory(String name, int dst, int src, int n, byte[] expected)
            throws Exception {
        for (Machine.Tier first : Machine.Tier.values()) {
            if (first == Machine.Tier.AUTO) {
                continue;
            }
            Ended e = runWithStops(instance(), first, name, dst, src, n);
            assertThat(e.result()).as("%s from %s", name, first).isEqualTo(42);
            assertThat(e.stops()).as("%s from %s", name, first).isEqualTo(stepsOf(n) - 1);
            // every second resume is compiled, and re-enters compiled code at the bulk instruction
            assertThat(e.compiledResumes())
                    .as("%s from %s", name, first)
                    .isEqualTo(first == Machine.Tier.INTERP ? (e.stops() + 1) / 2 : e.stops() / 2);
            assertThat(Arrays.equals(e.instance().memory.bytes, expected))
                    .as("%s from %s: memory", name, first)
                    .isTrue();
        }
    }

    @Test
    void aFreezeDuringALargeFillResumesInTheOtherTierToTheSameMemory() throws Exception {
        int dst = 1000;
        int n = 20 * Bulk.STEP + 77;
        byte[] expected = instance().memory.bytes.clone();
        Arrays.fill(expected, dst, dst + n, (byte) 0xA5);

        assertResumesToSameMemory("fill", dst, 0xA5, n, expected);
    }

    @Test
    void aFreezeDuringAnOverlappingCopyUpwardOrDownwardResumesToTheSameMemory() throws Exception {
        int n = 9 * Bulk.STEP + 11;
        for (int[] dstSrc : new int[][] {{5000, 3}, {3, 5000}, {PAGES * 65536 - n, 0}}) {
            byte[] expected = instance().memory.bytes.clone();
            System.arraycopy(expected, dstSrc[1], expected, dstSrc[0], n); // memmove

            assertResumesToSameMemory("copy", dstSrc[0], dstSrc[1], n, expected);
        }
    }

    @Test
    void aFreezeDuringMemoryInitResumesToTheSameMemory() throws Exception {
        byte[] segment = segmentText().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int src = 17;
        int n = SEGMENT - src;
        byte[] expected = instance().memory.bytes.clone();
        System.arraycopy(segment, src, expected, 99, n);

        assertResumesToSameMemory("init", 99, src, n, expected);
    }

    @Test
    void aFreezeDuringTableFillAndOverlappingTableCopyResumesToTheSameTable() throws Exception {
        for (Machine.Tier first : new Machine.Tier[] {Machine.Tier.INTERP, Machine.Tier.COMPILED}) {
            Instance instance = instance();
            Ended filled = runWithStops(instance, first, "tableFillA", 0, TABLE);
            assertThat(filled.stops()).isEqualTo(stepsOf(TABLE) - 1);
            Instance half = filled.instance();
            new Machine(half.store(), Limits.DEFAULT).invoke(half.function("tableFillB"), 0, TABLE / 2);
            int[] expected = functionIndices(half);
            int n = TABLE - 1000;
            System.arraycopy(expected, 0, expected, 1000, n);

            Ended copied = runWithStops(half, first, "tableCopy", 1000, 0, n);

            assertThat(copied.result()).isEqualTo(42);
            assertThat(copied.stops()).isEqualTo(stepsOf(n) - 1);
            assertThat(functionIndices(copied.instance())).as("from %s", first).isEqualTo(expected);
        }
    }

    private static int[] functionIndices(Instance instance) {
        long[] elements = instance.tables[0].elements;
        int[] indices = new int[elements.length];
        for (int i = 0; i < elements.length; i++) {
            indices[i] = elements[i] == ValueTypes.NULL_REF
                    ? -1
                    : ((WasmFunction) instance.store.function(elements[i])).code.index;
        }
        return indices;
    }

    @Test
    void outOfBoundsBulkInstructionsTrapWithTheSpecKindAndWriteNothingInEitherTier() {
        int end = PAGES * 65536;
        Object[][] calls = {
            {"fill", end - 100, 1, 101},
            {"fill", 0, 1, end + 1},
            {"copy", 0, end - 10, 4 * Bulk.STEP},
            {"copy", end - 10, 0, 4 * Bulk.STEP},
            {"init", 0, 1, SEGMENT},
            {"init", end - 5, 0, 6}
        };
        for (Machine.Tier tier : new Machine.Tier[] {Machine.Tier.INTERP, Machine.Tier.COMPILED}) {
            for (Object[] call : calls) {
                Instance instance = instance();
                byte[] before = instance.memory.bytes.clone();
                Machine machine = new Machine(instance.store(), Limits.DEFAULT).tier(tier);
                machine.requestFreeze(); // a pending freeze must not let a step run before the check

                assertThatThrownBy(() -> machine.invoke(
                                instance.function((String) call[0]), (int) call[1], (int) call[2], (int) call[3]))
                        .as("%s %s%s", tier, call[0], Arrays.toString(call))
                        .isInstanceOfSatisfying(
                                TrapException.class,
                                t -> assertThat(t.kind()).isEqualTo(TrapException.Kind.OUT_OF_BOUNDS_MEMORY));
                assertThat(Arrays.equals(instance.memory.bytes, before))
                        .as("%s %s unchanged", tier, call[0])
                        .isTrue();
            }
            Instance instance = instance();
            Machine machine = new Machine(instance.store(), Limits.DEFAULT).tier(tier);
            assertThatThrownBy(() -> machine.invoke(instance.function("tableFillA"), 10, TABLE))
                    .isInstanceOfSatisfying(
                            TrapException.class,
                            t -> assertThat(t.kind()).isEqualTo(TrapException.Kind.OUT_OF_BOUNDS_TABLE));
            assertThat(functionIndices(instance)).containsOnly(-1);
        }
    }
}
