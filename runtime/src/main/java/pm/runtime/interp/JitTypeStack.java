package pm.runtime.interp;

import java.util.Arrays;

/**
 * The WebAssembly types of the values on the operand stack at the instruction being emitted, as
 * the validator tracks them: they say which JVM instructions move each value (one slot or two)
 * and how a stopped frame writes it. The emitter's parts share one per method.
 */
final class JitTypeStack {
    byte[] ts = new byte[16];
    /** How many values are on the stack. */
    int th;

    void push(byte t) {
        if (th == ts.length) {
            ts = Arrays.copyOf(ts, th * 2);
        }
        ts[th++] = t;
    }

    byte pop() {
        return ts[--th];
    }
}
