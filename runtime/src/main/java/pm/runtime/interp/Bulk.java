package pm.runtime.interp;

import java.util.Arrays;
import pm.runtime.TrapException;

/**
 * The bulk memory and table instructions. Each checks its whole range before writing anything,
 * so a trapping instruction changes nothing.
 *
 * <p>Then each works in steps of {@link #STEP} bytes or elements and, between two, stops if a
 * freeze is asked, so that a 16 MiB fill does not hold a freeze for milliseconds. Each returns how
 * many units it did: all of {@code n}, or fewer if it stopped. A stopped instruction stays where
 * it is; {@link #rest} rewrites its three operands to the work left, so that running the same
 * instruction again (in either tier, after an image or not) finishes it exactly. The image format
 * needs nothing new: the frame stands before the instruction with ordinary operands.
 */
final class Bulk {
    /** Units per step: a few microseconds of copying, far below the freeze budget. */
    static final int STEP = 64 << 10;

    private Bulk() {}

    private static boolean outside(int offset, int length, int size) {
        return (offset & 0xFFFFFFFFL) + (length & 0xFFFFFFFFL) > size;
    }

    /** Whether a copy of {@code n} units from {@code src} to {@code dst} runs from the top down (dst above src). */
    private static boolean downward(int dst, int src) {
        return dst > src; // both are in bounds here, so below 2^31
    }

    /**
     * Rewrites the operands {@code s[at..at+2]} of bulk instruction {@code op} that did {@code done}
     * of its units to those of the work left. A copy going down did its top part: what is left is
     * the same start with fewer units; everything else did its bottom part.
     */
    static void rest(int op, long[] s, int at, int done) {
        int dst = (int) s[at];
        int src = (int) s[at + 1];
        boolean shift = op == Op.MEMORY_INIT
                || op == Op.TABLE_INIT
                || ((op == Op.MEMORY_COPY || op == Op.TABLE_COPY) && !downward(dst, src));
        if (op == Op.MEMORY_FILL || op == Op.TABLE_FILL || shift) {
            s[at] = dst + done;
        }
        if (shift) {
            s[at + 1] = src + done;
        }
        s[at + 2] = (int) s[at + 2] - done;
    }

    /** One step: units {@code done .. done + k} of the instruction's {@code n}. */
    private interface Step {
        void run(int done, int k);
    }

    /**
     * Runs {@code step} over {@code n} units, {@link #STEP} at a time, stopping between two steps
     * if a freeze is asked of {@code m} (null where nothing may stop: instantiation's active
     * segments); returns how many units were done.
     */
    private static int inSteps(Machine m, int n, Step step) {
        int done = 0;
        while (done < n) {
            int k = Math.min(STEP, n - done);
            step.run(done, k);
            done += k;
            if (done < n && m != null && m.freezeRequested) {
                break;
            }
        }
        return done;
    }

    static int memoryInit(Instance inst, Machine m, int segment, int dst, int src, int n) {
        byte[] data = inst.dataSegments[segment];
        int dataLength = data == null ? 0 : data.length;
        MemoryInstance memory = inst.memory;
        if (outside(src, n, dataLength) || outside(dst, n, memory.size)) {
            throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_MEMORY);
        }
        return inSteps(m, n, (done, k) -> {
            System.arraycopy(data, src + done, memory.bytes, dst + done, k);
            memory.markDirty(dst + done, k);
        });
    }

    static int memoryCopy(Instance inst, Machine m, int dst, int src, int n) {
        MemoryInstance memory = inst.memory;
        if (outside(src, n, memory.size) || outside(dst, n, memory.size)) {
            throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_MEMORY);
        }
        // In steps, an overlapping copy must not read what it already wrote: upward from the bottom
        // when dst is below src, downward from the top when above.
        boolean down = downward(dst, src);
        return inSteps(m, n, (done, k) -> {
            int from = down ? n - done - k : done;
            System.arraycopy(memory.bytes, src + from, memory.bytes, dst + from, k);
            memory.markDirty(dst + from, k);
        });
    }

    static int memoryFill(Instance inst, Machine m, int dst, byte value, int n) {
        MemoryInstance memory = inst.memory;
        if (outside(dst, n, memory.size)) {
            throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_MEMORY);
        }
        return inSteps(m, n, (done, k) -> {
            Arrays.fill(memory.bytes, dst + done, dst + done + k, value);
            memory.markDirty(dst + done, k);
        });
    }

    static int tableInit(Instance inst, Machine m, int table, int segment, int dst, int src, int n) {
        long[] refs = inst.elementSegments[segment];
        int refCount = refs == null ? 0 : refs.length;
        TableInstance t = inst.tables[table];
        if (outside(src, n, refCount) || outside(dst, n, t.size())) {
            throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_TABLE);
        }
        return inSteps(m, n, (done, k) -> {
            System.arraycopy(refs, src + done, t.elements, dst + done, k);
        });
    }

    static int tableCopy(Instance inst, Machine m, int dstTable, int srcTable, int dst, int src, int n) {
        TableInstance d = inst.tables[dstTable];
        TableInstance s = inst.tables[srcTable];
        if (outside(src, n, s.size()) || outside(dst, n, d.size())) {
            throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_TABLE);
        }
        boolean down = downward(dst, src);
        return inSteps(m, n, (done, k) -> {
            int from = down ? n - done - k : done;
            System.arraycopy(s.elements, src + from, d.elements, dst + from, k);
        });
    }

    static int tableFill(Instance inst, Machine m, int table, int dst, long value, int n) {
        TableInstance t = inst.tables[table];
        if (outside(dst, n, t.size())) {
            throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_TABLE);
        }
        return inSteps(m, n, (done, k) -> {
            Arrays.fill(t.elements, dst + done, dst + done + k, value);
        });
    }
}
