package pm.runtime.interp;

/**
 * A frame to re-enter compiled code with: the resume copy of its function ({@code r<i>}) takes
 * the locals, pushes the operands and jumps to safepoint {@code site} (a branch or call
 * instruction, numbered in body order), the Asyncify/Kilim entry switch. Set on the context just
 * before the call that consumes it.
 */
final class JitResume {
    final int site;
    final long[] locals;
    final long[] operands;

    JitResume(int site, long[] locals, long[] operands) {
        this.site = site;
        this.locals = locals;
        this.operands = operands;
    }
}
