package pm.runtime.interp;

import java.util.Arrays;

/**
 * The growing pre-decoded code of one function, with the map from each op start to the offset of
 * the WebAssembly instruction it came from, and the last position a branch can land on (nothing
 * may be fused across it). Used by one compiler at a time.
 */
final class CodeBuffer {
    int[] code = new int[256];
    int len;
    int[] opPcs = new int[64];
    int[] opOffsets = new int[64];
    int opCount;
    int lastTarget = -1;

    /** Starts an op that came from the instruction at {@code offset}. */
    void op(int offset, int op) {
        if (opCount == opPcs.length) {
            opPcs = Arrays.copyOf(opPcs, opCount * 2);
            opOffsets = Arrays.copyOf(opOffsets, opCount * 2);
        }
        opPcs[opCount] = len;
        opOffsets[opCount] = offset;
        opCount++;
        emit(op);
    }

    void emit(int v) {
        if (len == code.length) {
            code = Arrays.copyOf(code, len * 2);
        }
        code[len++] = v;
    }

    void emitLong(long v) {
        emit((int) v);
        emit((int) (v >>> 32));
    }

    /** The current position becomes a branch target. */
    void markTarget() {
        lastTarget = len;
    }

    /** Replaces the last two ops, the first starting at {@code at}, by one op with these immediates. */
    void rewrite(int at, int op, int... immediates) {
        code[at] = op;
        System.arraycopy(immediates, 0, code, at + 1, immediates.length);
        len = at + 1 + immediates.length;
        opCount--;
    }

    int[] code() {
        return Arrays.copyOf(code, len);
    }

    int[] opPcs() {
        return Arrays.copyOf(opPcs, opCount);
    }

    int[] opOffsets() {
        return Arrays.copyOf(opOffsets, opCount);
    }
}
