package pm.runtime.interp;

import java.util.Arrays;
import pm.runtime.TrapException;

/**
 * The bulk memory and table instructions. Each checks its whole range before writing anything,
 * so a trapping instruction changes nothing.
 */
final class Bulk {
    private Bulk() {}

    private static boolean outside(int offset, int length, int size) {
        return (offset & 0xFFFFFFFFL) + (length & 0xFFFFFFFFL) > size;
    }

    static void memoryInit(Instance inst, int segment, int dst, int src, int n) {
        byte[] data = inst.dataSegments[segment];
        int dataLength = data == null ? 0 : data.length;
        byte[] mem = inst.memory.bytes;
        if (outside(src, n, dataLength) || outside(dst, n, inst.memory.size)) {
            throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_MEMORY);
        }
        if (n > 0) {
            System.arraycopy(data, src, mem, dst, n);
            inst.memory.markDirty(dst, n);
        }
    }

    static void memoryCopy(Instance inst, int dst, int src, int n) {
        byte[] mem = inst.memory.bytes;
        if (outside(src, n, inst.memory.size) || outside(dst, n, inst.memory.size)) {
            throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_MEMORY);
        }
        System.arraycopy(mem, src, mem, dst, n);
        inst.memory.markDirty(dst, n);
    }

    static void memoryFill(Instance inst, int dst, byte value, int n) {
        byte[] mem = inst.memory.bytes;
        if (outside(dst, n, inst.memory.size)) {
            throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_MEMORY);
        }
        Arrays.fill(mem, dst, dst + n, value);
        inst.memory.markDirty(dst, n);
    }

    static void tableInit(Instance inst, int table, int segment, int dst, int src, int n) {
        long[] refs = inst.elementSegments[segment];
        int refCount = refs == null ? 0 : refs.length;
        TableInstance t = inst.tables[table];
        if (outside(src, n, refCount) || outside(dst, n, t.size())) {
            throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_TABLE);
        }
        if (n > 0) {
            System.arraycopy(refs, src, t.elements, dst, n);
        }
    }

    static void tableCopy(Instance inst, int dstTable, int srcTable, int dst, int src, int n) {
        TableInstance d = inst.tables[dstTable];
        TableInstance s = inst.tables[srcTable];
        if (outside(src, n, s.size()) || outside(dst, n, d.size())) {
            throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_TABLE);
        }
        System.arraycopy(s.elements, src, d.elements, dst, n);
    }

    static void tableFill(Instance inst, int table, int dst, long value, int n) {
        TableInstance t = inst.tables[table];
        if (outside(dst, n, t.size())) {
            throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_TABLE);
        }
        Arrays.fill(t.elements, dst, dst + n, value);
    }
}
