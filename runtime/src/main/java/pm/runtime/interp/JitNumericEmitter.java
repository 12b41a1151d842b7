package pm.runtime.interp;

import static pm.runtime.interp.JitCompiler.push;

import com.dylibso.chicory.wasm.types.OpCode;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Emits the integer instructions that compiled code does inline (the rest are calls to
 * {@link JitOps}): adds, logic, shifts, comparisons and sign extensions, on the JVM operand
 * stack, keeping the emitter's operand types in step. One per emitted method.
 */
final class JitNumericEmitter {
    private final MethodVisitor mv;
    private final JitTypeStack types;
    /** The compact form (a method near the JVM's size limit): comparisons that take many bytes inline are calls. */
    private final boolean compact;
    /** A long local free for the length of one instruction. */
    private final int tmpLong;

    JitNumericEmitter(MethodVisitor mv, JitTypeStack types, boolean compact, int tmpLong) {
        this.mv = mv;
        this.types = types;
        this.compact = compact;
        this.tmpLong = tmpLong;
    }

    /**
     * The integer instructions as plain JVM instructions, not calls: a huge generated method
     * gets nothing inlined by C2 (past its inlining budget), so a helper call per add would
     * stay a call.
     */
    boolean inline(OpCode op) {
        if (compact
                && NumericOps.resultType(op.name()) == ValueTypes.I32
                && NumericOps.arity(op.name()) == 2
                && !op.name().startsWith("I32_")) {
            return false; // i64 comparisons: a call is smaller
        }
        if (compact
                && (op.name().endsWith("_U") || op.name().endsWith("EQZ"))
                && !op.name().contains("SHR")
                && !op.name().contains("EXTEND")) {
            return false;
        }
        switch (op) {
            case I32_ADD:
                return binary(Opcodes.IADD, ValueTypes.I32);
            case I32_SUB:
                return binary(Opcodes.ISUB, ValueTypes.I32);
            case I32_MUL:
                return binary(Opcodes.IMUL, ValueTypes.I32);
            case I32_AND:
                return binary(Opcodes.IAND, ValueTypes.I32);
            case I32_OR:
                return binary(Opcodes.IOR, ValueTypes.I32);
            case I32_XOR:
                return binary(Opcodes.IXOR, ValueTypes.I32);
            case I32_SHL:
                return binary(Opcodes.ISHL, ValueTypes.I32);
            case I32_SHR_S:
                return binary(Opcodes.ISHR, ValueTypes.I32);
            case I32_SHR_U:
                return binary(Opcodes.IUSHR, ValueTypes.I32);
            case I64_ADD:
                return binary(Opcodes.LADD, ValueTypes.I64);
            case I64_SUB:
                return binary(Opcodes.LSUB, ValueTypes.I64);
            case I64_MUL:
                return binary(Opcodes.LMUL, ValueTypes.I64);
            case I64_AND:
                return binary(Opcodes.LAND, ValueTypes.I64);
            case I64_OR:
                return binary(Opcodes.LOR, ValueTypes.I64);
            case I64_XOR:
                return binary(Opcodes.LXOR, ValueTypes.I64);
            case I64_SHL:
                return shift(Opcodes.LSHL);
            case I64_SHR_S:
                return shift(Opcodes.LSHR);
            case I64_SHR_U:
                return shift(Opcodes.LUSHR);
            case I32_EQZ:
                types.pop();
                bool(Opcodes.IFEQ);
                types.push(ValueTypes.I32);
                return true;
            case I64_EQZ:
                types.pop();
                mv.visitInsn(Opcodes.LCONST_0);
                mv.visitInsn(Opcodes.LCMP);
                bool(Opcodes.IFEQ);
                types.push(ValueTypes.I32);
                return true;
            case I32_EQ:
                return i32Compare(Opcodes.IF_ICMPEQ, false);
            case I32_NE:
                return i32Compare(Opcodes.IF_ICMPNE, false);
            case I32_LT_S:
                return i32Compare(Opcodes.IF_ICMPLT, false);
            case I32_GT_S:
                return i32Compare(Opcodes.IF_ICMPGT, false);
            case I32_LE_S:
                return i32Compare(Opcodes.IF_ICMPLE, false);
            case I32_GE_S:
                return i32Compare(Opcodes.IF_ICMPGE, false);
            case I32_LT_U:
                return i32Compare(Opcodes.IF_ICMPLT, true);
            case I32_GT_U:
                return i32Compare(Opcodes.IF_ICMPGT, true);
            case I32_LE_U:
                return i32Compare(Opcodes.IF_ICMPLE, true);
            case I32_GE_U:
                return i32Compare(Opcodes.IF_ICMPGE, true);
            case I64_EQ:
                return i64Compare(Opcodes.IFEQ, false);
            case I64_NE:
                return i64Compare(Opcodes.IFNE, false);
            case I64_LT_S:
                return i64Compare(Opcodes.IFLT, false);
            case I64_GT_S:
                return i64Compare(Opcodes.IFGT, false);
            case I64_LE_S:
                return i64Compare(Opcodes.IFLE, false);
            case I64_GE_S:
                return i64Compare(Opcodes.IFGE, false);
            case I64_LT_U:
                return i64Compare(Opcodes.IFLT, true);
            case I64_GT_U:
                return i64Compare(Opcodes.IFGT, true);
            case I64_LE_U:
                return i64Compare(Opcodes.IFLE, true);
            case I64_GE_U:
                return i64Compare(Opcodes.IFGE, true);
            case I64_EXTEND_I32_S:
                types.pop();
                mv.visitInsn(Opcodes.I2L);
                types.push(ValueTypes.I64);
                return true;
            case I64_EXTEND_I32_U:
                types.pop();
                mv.visitInsn(Opcodes.I2L);
                mv.visitLdcInsn(0xFFFF_FFFFL);
                mv.visitInsn(Opcodes.LAND);
                types.push(ValueTypes.I64);
                return true;
            case I64_EXTEND_32_S:
                mv.visitInsn(Opcodes.L2I);
                mv.visitInsn(Opcodes.I2L);
                return true;
            case I32_EXTEND_8_S:
                mv.visitInsn(Opcodes.I2B);
                return true;
            case I32_EXTEND_16_S:
                mv.visitInsn(Opcodes.I2S);
                return true;
            default:
                return false;
        }
    }

    private boolean binary(int insn, byte type) {
        mv.visitInsn(insn);
        types.th--;
        return true;
    }

    private boolean shift(int insn) {
        mv.visitInsn(Opcodes.L2I);
        mv.visitInsn(insn);
        types.th--;
        return true;
    }

    private boolean i32Compare(int jump, boolean unsigned) {
        if (unsigned) {
            push(mv, Integer.MIN_VALUE);
            mv.visitInsn(Opcodes.IXOR);
            mv.visitInsn(Opcodes.SWAP);
            push(mv, Integer.MIN_VALUE);
            mv.visitInsn(Opcodes.IXOR);
            mv.visitInsn(Opcodes.SWAP);
        }
        types.th -= 2;
        bool(jump);
        types.push(ValueTypes.I32);
        return true;
    }

    private boolean i64Compare(int jump, boolean unsigned) {
        if (unsigned) {
            mv.visitLdcInsn(Long.MIN_VALUE);
            mv.visitInsn(Opcodes.LXOR);
            mv.visitVarInsn(Opcodes.LSTORE, tmpLong);
            mv.visitLdcInsn(Long.MIN_VALUE);
            mv.visitInsn(Opcodes.LXOR);
            mv.visitVarInsn(Opcodes.LLOAD, tmpLong);
        }
        mv.visitInsn(Opcodes.LCMP);
        types.th -= 2;
        bool(jump);
        types.push(ValueTypes.I32);
        return true;
    }

    /** Pushes int 1 if {@code jump} is taken on what is on the stack, else 0. */
    void bool(int jump) {
        Label yes = new Label();
        Label done = new Label();
        mv.visitJumpInsn(jump, yes);
        mv.visitInsn(Opcodes.ICONST_0);
        mv.visitJumpInsn(Opcodes.GOTO, done);
        mv.visitLabel(yes);
        mv.visitInsn(Opcodes.ICONST_1);
        mv.visitLabel(done);
    }
}
