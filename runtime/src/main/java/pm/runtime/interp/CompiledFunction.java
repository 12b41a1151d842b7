package pm.runtime.interp;

import java.util.Arrays;

/**
 * One function body in pre-decoded form, immutable and shareable by every instance of its module.
 *
 * <p>{@code code} is a flat int array: an {@link Op} followed by its immediates. Locals occupy the
 * first {@code localCount} slots of the frame, operands the slots above them, so a call needs no
 * copying: the caller's arguments become the callee's first locals. {@code opPcs}/{@code opOffsets}
 * map every op start to the byte offset (from the start of the function's expression) of the
 * WebAssembly instruction it came from, which is how states are written at the WebAssembly level.
 */
final class CompiledFunction {
    final int index;
    final int typeIndex;
    final byte[] paramTypes;
    final byte[] resultTypes;
    final byte[] localTypes; // parameters first
    final int[] code;
    final int maxOperandHeight;
    final int frameSize; // locals plus deepest operand stack
    final int[] opPcs;
    final int[] opOffsets;
    /** The same function without super-instructions, made when a frame stopped inside a fused pair resumes. */
    volatile CompiledFunction unfused;

    CompiledFunction(
            int index,
            int typeIndex,
            byte[] paramTypes,
            byte[] resultTypes,
            byte[] localTypes,
            int[] code,
            int maxOperandHeight,
            int[] opPcs,
            int[] opOffsets) {
        this.index = index;
        this.typeIndex = typeIndex;
        this.paramTypes = paramTypes;
        this.resultTypes = resultTypes;
        this.localTypes = localTypes;
        this.code = code;
        this.maxOperandHeight = maxOperandHeight;
        this.frameSize = localTypes.length + maxOperandHeight;
        this.opPcs = opPcs;
        this.opOffsets = opOffsets;
    }

    /** The WebAssembly offset of the op starting at {@code pc}, or -1 if no op starts there. */
    int offsetOf(int pc) {
        int i = Arrays.binarySearch(opPcs, pc);
        return i < 0 ? -1 : opOffsets[i];
    }

    /** The op start for a WebAssembly instruction offset, or -1 if that instruction emits no op. */
    int pcOf(int offset) {
        int i = Arrays.binarySearch(opOffsets, offset);
        return i < 0 ? -1 : opPcs[i];
    }
}
