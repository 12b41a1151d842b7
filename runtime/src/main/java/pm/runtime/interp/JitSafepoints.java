package pm.runtime.interp;

import static pm.runtime.interp.JitCompiler.CTX;
import static pm.runtime.interp.JitCompiler.CTX_DESC;
import static pm.runtime.interp.JitCompiler.RT;
import static pm.runtime.interp.JitCompiler.UNWIND;
import static pm.runtime.interp.JitCompiler.loadOp;
import static pm.runtime.interp.JitCompiler.push;
import static pm.runtime.interp.JitCompiler.pushLong;
import static pm.runtime.interp.JitCompiler.storeOp;
import static pm.runtime.interp.JitCompiler.toSlot;

import java.util.Arrays;
import java.util.List;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Emits the safepoints of one method and how its frame leaves at them: the fuel and freeze poll
 * of a back-edge or a call, a bulk instruction stopped part-way, and the call sites' handlers.
 * A stopping frame writes its operands into a long[] (from the JVM stack, or from the spill
 * slots a call keeps them in, since a handler starts with an empty stack) and jumps to the
 * method's shared tail, which adds the locals and throws the {@link JitUnwind} on.
 */
final class JitSafepoints {
    /**
     * The method's locals this needs: the context, the fuel, a long[] and a long free for the
     * length of one instruction, and the first of the spill slots (two per operand).
     */
    record Slots(int ctx, int fuel, int tmpArray, int tmpLong, int spillBase) {
        int spill(int k) {
            return spillBase + 2 * k;
        }
    }

    private final MethodVisitor mv;
    private final JitTypeStack typeStack;
    private final List<Runnable> deferred;
    /** The function, as the unwound frame names it. */
    private final int index;
    /** The method's shared tail of every stop. */
    private final Label shared;

    private final Slots slots;

    JitSafepoints(
            MethodVisitor mv, JitTypeStack typeStack, List<Runnable> deferred, int index, Label shared, Slots slots) {
        this.mv = mv;
        this.typeStack = typeStack;
        this.deferred = deferred;
        this.index = index;
        this.shared = shared;
        this.slots = slots;
    }

    /**
     * The slow path of a bulk instruction that jumps to {@code slow} when it stopped part-way: this
     * frame stops at the instruction (at {@code at}) with the operands under it, and the rest of
     * the work (ctx.rest) as its three operands.
     */
    void bulkStop(Label slow, int at) {
        int height = typeStack.th;
        byte[] types = Arrays.copyOf(typeStack.ts, typeStack.th);
        deferred.add(() -> {
            mv.visitLabel(slow);
            push(mv, height + 3);
            mv.visitIntInsn(Opcodes.NEWARRAY, Opcodes.T_LONG);
            mv.visitVarInsn(Opcodes.ASTORE, slots.tmpArray());
            mv.visitVarInsn(Opcodes.ALOAD, slots.ctx());
            mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "rest", "[J");
            push(mv, 0);
            mv.visitVarInsn(Opcodes.ALOAD, slots.tmpArray());
            push(mv, height);
            push(mv, 3);
            mv.visitMethodInsn(
                    Opcodes.INVOKESTATIC,
                    "java/lang/System",
                    "arraycopy",
                    "(Ljava/lang/Object;ILjava/lang/Object;II)V",
                    false);
            popInto(types, height);
            stop(at, slots.tmpArray());
        });
    }

    /** A back-edge safepoint: costs {@code weight} fuel, stops on an empty tank or a freeze request. */
    void poll(int weight, Long consumed, int at) {
        Label slow = new Label();
        mv.visitVarInsn(Opcodes.LLOAD, slots.fuel());
        pushLong(mv, weight);
        mv.visitInsn(Opcodes.LSUB);
        mv.visitInsn(Opcodes.DUP2);
        mv.visitVarInsn(Opcodes.LSTORE, slots.fuel());
        mv.visitInsn(Opcodes.LCONST_0);
        mv.visitInsn(Opcodes.LCMP);
        mv.visitJumpInsn(Opcodes.IFLT, slow);
        mv.visitVarInsn(Opcodes.ALOAD, slots.ctx());
        mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "machine", "Lpm/runtime/interp/Machine;");
        mv.visitFieldInsn(Opcodes.GETFIELD, "pm/runtime/interp/Machine", "freezeRequested", "Z");
        mv.visitJumpInsn(Opcodes.IFNE, slow);
        int height = typeStack.th;
        byte[] types = Arrays.copyOf(typeStack.ts, typeStack.th);
        deferred.add(() -> {
            mv.visitLabel(slow);
            int n = height + (consumed == null ? 0 : 1);
            push(mv, n);
            mv.visitIntInsn(Opcodes.NEWARRAY, Opcodes.T_LONG);
            mv.visitVarInsn(Opcodes.ASTORE, slots.tmpArray());
            if (consumed != null) {
                mv.visitVarInsn(Opcodes.ALOAD, slots.tmpArray());
                push(mv, height);
                pushLong(mv, consumed);
                mv.visitInsn(Opcodes.LASTORE);
            }
            popInto(types, height);
            stop(at, slots.tmpArray());
        });
    }

    /** Pops the {@code height} operands on the JVM stack into the first slots of the long[] in {@code tmpArray}. */
    private void popInto(byte[] types, int height) {
        for (int k = height - 1; k >= 0; k--) {
            toSlot(mv, types[k]);
            mv.visitVarInsn(Opcodes.LSTORE, slots.tmpLong());
            mv.visitVarInsn(Opcodes.ALOAD, slots.tmpArray());
            push(mv, k);
            mv.visitVarInsn(Opcodes.LLOAD, slots.tmpLong());
            mv.visitInsn(Opcodes.LASTORE);
        }
    }

    /** Throws the unwind of this frame stopped at {@code at} with the operands in local {@code array}. */
    private void stop(int at, int array) {
        mv.visitVarInsn(Opcodes.ALOAD, slots.ctx());
        mv.visitVarInsn(Opcodes.LLOAD, slots.fuel());
        push(mv, index);
        push(mv, at);
        mv.visitVarInsn(Opcodes.ALOAD, array);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "poll", "(" + CTX_DESC + "JII[J)L" + UNWIND + ";", false);
        mv.visitJumpInsn(Opcodes.GOTO, shared);
    }

    /** Spills the whole operand stack, polls, and leaves the operands under the arguments reloaded. */
    byte[] callPrologue(int n, int below, int at) {
        byte[] types = Arrays.copyOf(typeStack.ts, n);
        for (int k = n - 1; k >= 0; k--) {
            mv.visitVarInsn(storeOp(types[k]), slots.spill(k));
        }
        Label slow = new Label();
        mv.visitVarInsn(Opcodes.LLOAD, slots.fuel());
        mv.visitInsn(Opcodes.LCONST_1);
        mv.visitInsn(Opcodes.LSUB);
        mv.visitInsn(Opcodes.DUP2);
        mv.visitVarInsn(Opcodes.LSTORE, slots.fuel());
        mv.visitInsn(Opcodes.LCONST_0);
        mv.visitInsn(Opcodes.LCMP);
        mv.visitJumpInsn(Opcodes.IFLT, slow);
        mv.visitVarInsn(Opcodes.ALOAD, slots.ctx());
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "mustStop", "(" + CTX_DESC + ")Z", false);
        mv.visitJumpInsn(Opcodes.IFNE, slow);
        deferred.add(() -> {
            mv.visitLabel(slow);
            spilledArray(types, n);
            mv.visitVarInsn(Opcodes.ASTORE, slots.tmpArray());
            stop(at, slots.tmpArray());
        });
        for (int k = 0; k < below; k++) {
            mv.visitVarInsn(loadOp(types[k]), slots.spill(k));
        }
        return types;
    }

    /** Pushes a new long[] of the spilled operands 0..n-1 as slots. */
    private void spilledArray(byte[] types, int n) {
        push(mv, n);
        mv.visitIntInsn(Opcodes.NEWARRAY, Opcodes.T_LONG);
        for (int k = 0; k < n; k++) {
            mv.visitInsn(Opcodes.DUP);
            push(mv, k);
            mv.visitVarInsn(loadOp(types[k]), slots.spill(k));
            toSlot(mv, types[k]);
            mv.visitInsn(Opcodes.LASTORE);
        }
    }

    /** The handler of a call site: records this frame and goes on unwinding. */
    Label handler(byte[] types, int n, int below, int at) {
        Label handler = new Label();
        deferred.add(() -> {
            mv.visitLabel(handler);
            mv.visitInsn(Opcodes.DUP);
            push(mv, index);
            push(mv, at);
            spilledArray(types, n);
            push(mv, below);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, UNWIND, "caller", "(II[JI)V", false);
            mv.visitJumpInsn(Opcodes.GOTO, shared);
        });
        return handler;
    }
}
