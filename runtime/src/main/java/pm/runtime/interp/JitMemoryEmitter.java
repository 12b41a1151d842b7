package pm.runtime.interp;

import static pm.runtime.interp.JitCompiler.OPS;
import static pm.runtime.interp.JitCompiler.RT;
import static pm.runtime.interp.JitCompiler.jvm;
import static pm.runtime.interp.JitCompiler.push;
import static pm.runtime.interp.JitCompiler.pushLong;
import static pm.runtime.interp.JitCompiler.wide;

import com.dylibso.chicory.wasm.types.OpCode;
import java.util.List;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Emits loads and stores: the bound check against the memory's size (a trap placed after the
 * body), the access through Unsafe, and the dirty-page marks of a store; or, in the compact
 * form, a call to {@link JitOps} per access. One per emitted method.
 */
final class JitMemoryEmitter {
    /**
     * The method's locals this needs: the memory array, its dirty bytes and its size (reloaded by
     * the emitter after calls and grows), the effective address of the access in hand, and a long
     * and an int free for the length of one instruction.
     */
    record Slots(int mem, int dirty, int size, int addr, int tmpLong, int tmpInt) {}

    private static final String UNSAFE = "sun/misc/Unsafe";

    private final MethodVisitor mv;
    private final JitTypeStack types;
    private final boolean compact;
    /** Whether stores mark their pages dirty: the JVM-wide switch, but for benchmarks that compare. */
    private final boolean storeBarrier;

    private final List<Runnable> deferred;
    private final Slots slots;

    JitMemoryEmitter(
            MethodVisitor mv,
            JitTypeStack types,
            boolean compact,
            boolean storeBarrier,
            List<Runnable> deferred,
            Slots slots) {
        this.mv = mv;
        this.types = types;
        this.compact = compact;
        this.storeBarrier = storeBarrier;
        this.deferred = deferred;
        this.slots = slots;
    }

    /**
     * Consumes the i32 address on the stack and pushes Unsafe, the memory array and the offset
     * of the access in it, or jumps to a trap: the address is unsigned, so its sum with the
     * static offset cannot wrap in 64 bits, and the access must end within the memory's size.
     * The index is left in {@code slots.addr()} for the dirty mark.
     */
    private void effectiveAddress(long off, int width) {
        mv.visitInsn(Opcodes.I2L);
        mv.visitLdcInsn(0xFFFF_FFFFL);
        mv.visitInsn(Opcodes.LAND);
        if (off != 0) {
            pushLong(mv, off);
            mv.visitInsn(Opcodes.LADD);
        }
        mv.visitInsn(Opcodes.DUP2);
        mv.visitVarInsn(Opcodes.LSTORE, slots.addr());
        mv.visitVarInsn(Opcodes.ILOAD, slots.size());
        push(mv, width);
        mv.visitInsn(Opcodes.ISUB);
        mv.visitInsn(Opcodes.I2L);
        mv.visitInsn(Opcodes.LCMP);
        Label trap = new Label();
        mv.visitJumpInsn(Opcodes.IFGT, trap);
        deferred.add(() -> {
            mv.visitLabel(trap);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "outOfBounds", "()Ljava/lang/RuntimeException;", false);
            mv.visitInsn(Opcodes.ATHROW);
        });
        mv.visitFieldInsn(Opcodes.GETSTATIC, OPS, "U", "Lsun/misc/Unsafe;");
        mv.visitVarInsn(Opcodes.ALOAD, slots.mem());
        mv.visitVarInsn(Opcodes.LLOAD, slots.addr());
        mv.visitFieldInsn(Opcodes.GETSTATIC, OPS, "BASE", "J");
        mv.visitInsn(Opcodes.LADD);
    }

    private void unsafe(String name, String desc) {
        mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, UNSAFE, name, desc, false);
    }

    /** A load with the address (i32) on the stack; pushes the loaded value's type. */
    void load(OpCode op, long off) {
        types.pop();
        byte result = NumericOps.resultType(op.name());
        if (off > Integer.MAX_VALUE) {
            mv.visitMethodInsn(
                    Opcodes.INVOKESTATIC,
                    RT,
                    wide(result) ? "outOfBoundsLoadJ" : "outOfBoundsLoadI",
                    wide(result) ? "(I)J" : "(I)I",
                    false);
            types.push(result);
            return;
        }
        if (!JitOps.DIRECT || compact) {
            push(mv, (int) off);
            mv.visitVarInsn(Opcodes.ALOAD, slots.mem());
            mv.visitVarInsn(Opcodes.ILOAD, slots.size());
            mv.visitMethodInsn(
                    Opcodes.INVOKESTATIC,
                    OPS,
                    op.name().toLowerCase(java.util.Locale.ROOT),
                    "(II[BI)" + jvm(result),
                    false);
            types.push(result);
            return;
        }
        switch (op) {
            case I32_LOAD:
            case F32_LOAD:
                effectiveAddress(off, 4);
                unsafe("getInt", "(Ljava/lang/Object;J)I");
                break;
            case I64_LOAD32_S:
                effectiveAddress(off, 4);
                unsafe("getInt", "(Ljava/lang/Object;J)I");
                mv.visitInsn(Opcodes.I2L);
                break;
            case I64_LOAD32_U:
                effectiveAddress(off, 4);
                unsafe("getInt", "(Ljava/lang/Object;J)I");
                mv.visitInsn(Opcodes.I2L);
                mv.visitLdcInsn(0xFFFF_FFFFL);
                mv.visitInsn(Opcodes.LAND);
                break;
            case I64_LOAD:
            case F64_LOAD:
                effectiveAddress(off, 8);
                unsafe("getLong", "(Ljava/lang/Object;J)J");
                break;
            case I32_LOAD8_S:
            case I64_LOAD8_S:
                effectiveAddress(off, 1);
                unsafe("getByte", "(Ljava/lang/Object;J)B");
                break;
            case I32_LOAD8_U:
            case I64_LOAD8_U:
                effectiveAddress(off, 1);
                unsafe("getByte", "(Ljava/lang/Object;J)B");
                push(mv, 0xFF);
                mv.visitInsn(Opcodes.IAND);
                break;
            case I32_LOAD16_S:
            case I64_LOAD16_S:
                effectiveAddress(off, 2);
                unsafe("getShort", "(Ljava/lang/Object;J)S");
                break;
            case I32_LOAD16_U:
            case I64_LOAD16_U:
                effectiveAddress(off, 2);
                unsafe("getShort", "(Ljava/lang/Object;J)S");
                push(mv, 0xFFFF);
                mv.visitInsn(Opcodes.IAND);
                break;
            default:
                throw new IllegalStateException(op.name());
        }
        if (wide(result)
                && op != OpCode.I64_LOAD
                && op != OpCode.F64_LOAD
                && op != OpCode.I64_LOAD32_S
                && op != OpCode.I64_LOAD32_U) {
            mv.visitInsn(Opcodes.I2L);
        }
        types.push(result);
    }

    /**
     * A store with the address (i32) and the value on the stack; in the marking variant it marks the
     * pages of {@code marks} (relative to its effective address: its own first and last byte, or its
     * group's range; null: nothing, an earlier store of its group marked for it; see
     * {@link JitStoreMarks}).
     */
    void store(OpCode op, long off, JitStoreMarks.Marks marks) {
        byte value = types.pop();
        types.pop();
        if (off > Integer.MAX_VALUE) {
            mv.visitMethodInsn(
                    Opcodes.INVOKESTATIC,
                    RT,
                    wide(value) ? "outOfBoundsStoreJ" : "outOfBoundsStoreI",
                    wide(value) ? "(IJ)V" : "(II)V",
                    false);
            return;
        }
        if (!JitOps.DIRECT || compact) {
            push(mv, (int) off);
            mv.visitVarInsn(Opcodes.ALOAD, slots.mem());
            mv.visitVarInsn(Opcodes.ILOAD, slots.size());
            mv.visitVarInsn(Opcodes.ALOAD, slots.dirty());
            mv.visitMethodInsn(
                    Opcodes.INVOKESTATIC,
                    OPS,
                    op.name().toLowerCase(java.util.Locale.ROOT),
                    "(I" + jvm(value) + "I[BI[B)V",
                    false);
            return;
        }
        int width;
        String name;
        String desc;
        int narrow; // after narrowing a long to int, if the value is a long
        switch (op) {
            case I32_STORE:
            case F32_STORE:
            case I64_STORE32:
                width = 4;
                name = "putInt";
                desc = "(Ljava/lang/Object;JI)V";
                narrow = -1;
                break;
            case I64_STORE:
            case F64_STORE:
                width = 8;
                name = "putLong";
                desc = "(Ljava/lang/Object;JJ)V";
                narrow = -1;
                break;
            case I32_STORE8:
            case I64_STORE8:
                width = 1;
                name = "putByte";
                desc = "(Ljava/lang/Object;JB)V";
                narrow = Opcodes.I2B;
                break;
            case I32_STORE16:
            case I64_STORE16:
                width = 2;
                name = "putShort";
                desc = "(Ljava/lang/Object;JS)V";
                narrow = Opcodes.I2S;
                break;
            default:
                throw new IllegalStateException(op.name());
        }
        boolean valueWide = wide(value);
        mv.visitVarInsn(valueWide ? Opcodes.LSTORE : Opcodes.ISTORE, valueWide ? slots.tmpLong() : slots.tmpInt());
        effectiveAddress(off, width);
        mv.visitVarInsn(valueWide ? Opcodes.LLOAD : Opcodes.ILOAD, valueWide ? slots.tmpLong() : slots.tmpInt());
        if (valueWide && width < 8) {
            mv.visitInsn(Opcodes.L2I);
        }
        if (narrow >= 0) {
            mv.visitInsn(narrow);
        }
        unsafe(name, desc);
        if (storeBarrier && marks != null) {
            // Within one run of straight-line code, the first store through an address marks for
            // every store through it (JitStoreMarks); one dirty byte for its first and last page.
            // Unconditionally: a check for "page already marked" (a local holding the page marked
            // last) measured slower than the marks it saved (CompiledBarrierBench).
            markDirty(marks.lo(), marks.hi());
        }
    }

    /**
     * Marks the pages of bytes {@code addr + lo} and {@code addr + hi} (at most a page apart) dirty,
     * after the store's bound check passed: one byte of the dirty array, the sum of their pages
     * ({@link MemoryInstance#slot}). The bound check makes the pages smaller than the memory's
     * (but for a group's highest byte, which may be one page past it: see {@link MemoryInstance}),
     * and the dirty array has two bytes for every page of the backing array (MemoryInstance keeps
     * them together, and compiled code reloads them together), so the mark goes through Unsafe (a
     * bastore's range check, which C2 cannot prove away, cost more). Emitted only in the variant
     * that runs while the dirty log is on.
     */
    private void markDirty(int lo, int hi) {
        if (JitOps.DIRECT) {
            mv.visitFieldInsn(Opcodes.GETSTATIC, OPS, "U", "Lsun/misc/Unsafe;");
            mv.visitVarInsn(Opcodes.ALOAD, slots.dirty());
            pageOf(lo);
            if (hi == lo) {
                mv.visitInsn(Opcodes.ICONST_1);
                mv.visitInsn(Opcodes.LSHL);
            } else {
                pageOf(hi);
                mv.visitInsn(Opcodes.LADD);
            }
            mv.visitFieldInsn(Opcodes.GETSTATIC, OPS, "BASE", "J");
            mv.visitInsn(Opcodes.LADD);
            mv.visitInsn(Opcodes.ICONST_1);
            unsafe("putByte", "(Ljava/lang/Object;JB)V");
            return;
        }
        mv.visitVarInsn(Opcodes.ALOAD, slots.dirty());
        mv.visitVarInsn(Opcodes.LLOAD, slots.addr());
        mv.visitInsn(Opcodes.L2I);
        mv.visitInsn(Opcodes.DUP);
        if (lo != 0) {
            push(mv, lo);
            mv.visitInsn(Opcodes.IADD);
        }
        mv.visitInsn(Opcodes.SWAP);
        if (hi != 0) {
            push(mv, hi);
            mv.visitInsn(Opcodes.IADD);
        }
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, "pm/runtime/interp/MemoryInstance", "slot", "(II)I", false);
        mv.visitInsn(Opcodes.ICONST_1);
        mv.visitInsn(Opcodes.BASTORE);
    }

    /** Pushes the page (a long) of byte {@code addr + plus}. */
    private void pageOf(int plus) {
        mv.visitVarInsn(Opcodes.LLOAD, slots.addr());
        if (plus != 0) {
            pushLong(mv, plus);
            mv.visitInsn(Opcodes.LADD);
        }
        push(mv, 16);
        mv.visitInsn(Opcodes.LUSHR);
    }
}
