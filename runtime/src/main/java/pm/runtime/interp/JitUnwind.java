package pm.runtime.interp;

import java.util.ArrayList;
import java.util.List;

/**
 * Thrown through compiled frames to stop them: each frame it passes catches it at its call site,
 * adds its WebAssembly-level frame (function, instruction offset, locals, operands) and rethrows,
 * so that where it lands the frames can be laid out for the interpreter exactly as if the
 * interpreter had run them ({@link JitBridge#install}). Frames are added innermost first.
 * No stack trace: it is control flow, thrown once per freeze, slice end or deoptimisation.
 */
final class JitUnwind extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why compiled code stops. */
    enum Reason {
        /** A freeze request was seen at a safepoint. */
        FROZEN,
        /** The fuel ran out at a safepoint. */
        OUT_OF_FUEL,
        /** A host function asked to wait; the interpreter re-runs the call on resume. */
        BLOCKED,
        /** The interpreter must continue: a call it alone can make, or the compiled call depth is spent. */
        DEOPTIMIZE
    }

    /** One unwound frame. A frame with a callee above it holds only the operands below the call's arguments. */
    static final class Frame {
        final int function;
        final int offset;
        final long[] operands;
        long[] locals;

        Frame(int function, int offset, long[] operands) {
            this.function = function;
            this.offset = offset;
            this.operands = operands;
        }
    }

    final Reason reason;
    final String blockedReason;
    final List<Frame> frames = new ArrayList<>(); // innermost first

    JitUnwind(Reason reason, String blockedReason) {
        super(null, null, false, false);
        this.reason = reason;
        this.blockedReason = blockedReason;
    }

    /** The innermost frame, stopped before the instruction at {@code offset} with these operands. */
    JitUnwind at(int function, int offset, long[] operands) {
        frames.add(new Frame(function, offset, operands));
        return this;
    }

    /**
     * A frame stopped at the call at {@code offset}: if nothing was unwound above it (the call
     * itself could not be made here), it is the innermost and keeps all {@code spilled} operands,
     * arguments included, so the interpreter makes the call; otherwise only the {@code below}
     * operands under the arguments, which became the callee's locals.
     */
    void caller(int function, int offset, long[] spilled, int below) {
        long[] operands = spilled;
        if (!frames.isEmpty() && below != spilled.length) {
            operands = java.util.Arrays.copyOf(spilled, below);
        }
        frames.add(new Frame(function, offset, operands));
    }

    /** The locals of the frame added last. */
    void locals(long[] locals) {
        frames.get(frames.size() - 1).locals = locals;
    }
}
