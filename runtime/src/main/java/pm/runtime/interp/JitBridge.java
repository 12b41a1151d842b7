package pm.runtime.interp;

import java.util.List;
import pm.runtime.interp.Machine.RunResult;

/**
 * Where the interpreter and compiled code meet: attaching a module's compiled code to an instance,
 * calls from the interpreter into compiled code, and laying out unwound compiled frames as
 * interpreter frames ({@link #install}), which is how a freeze, the end of a slice, a blocking host
 * call or a deoptimisation leaves compiled code. Once installed, the frames are the interpreter's:
 * they are captured, frozen and resumed as such, and calls they make enter compiled code again.
 *
 * <p>Compiled code is cached per module hash ({@link JitCache}); {@link Machine.Tier#AUTO} compiles
 * on a background thread and runs interpreted until the code is there.
 */
final class JitBridge {
    /** Compiled frames nested on the Java stack at most, before deeper calls go to the interpreter. */
    static final int MAX_CALLS = 2_000;

    /**
     * The JVM's code cache, for modules compiled without one of their own: compiled classes are
     * shared by every process of a module in it (see {@link JitCache} for its bounds and the disk
     * directory).
     */
    static final JitCache CACHE = JitCache.configured();

    private static final boolean LOG = Boolean.getBoolean("pm.runtime.jitLog");
    private static final java.util.concurrent.atomic.LongAdder[] UNWINDS = new java.util.concurrent.atomic.LongAdder[4];

    static {
        if (LOG) {
            for (int i = 0; i < UNWINDS.length; i++) {
                UNWINDS[i] = new java.util.concurrent.atomic.LongAdder();
            }
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(() -> System.err.printf(
                            "jit: unwinds: frozen %d, out of fuel %d, blocked %d, deoptimised %d%n",
                            UNWINDS[0].sum(), UNWINDS[1].sum(), UNWINDS[2].sum(), UNWINDS[3].sum())));
        }
    }

    private JitBridge() {}

    /**
     * Gives the instance's functions this compiled code for good: the machine keeps it whatever the
     * dirty log wants (tests and benchmarks that run code they made). Before the first run; null
     * attaches nothing.
     */
    static void attach(Instance instance, JitCompiler.JitModule jm) {
        if (jm == null) {
            return;
        }
        use(instance, jm);
        instance.jitPinned = true;
    }

    /**
     * Gives the instance's functions their code in {@code jm}, replacing what they had; the others
     * (all of them when {@code jm} is null) are interpreted.
     */
    private static void use(Instance instance, JitCompiler.JitModule jm) {
        instance.jit = jm;
        for (int i = instance.module.importedFunctions; i < instance.functions.length; i++) {
            if (instance.functions[i] instanceof WasmFunction w) {
                w.jit = jm != null && jm.compiled[i] ? jm.code : null;
            }
        }
    }

    /**
     * At the start of a slice, when no compiled frame is on the stack: attaches the compiled code
     * the machine's tier asks for, in the variant the memory's dirty log wants (switching variants
     * when the log turns on or lapses; {@code AUTO} keeps what it has while the variant it wants
     * compiles in the background, except unmarked code while the log is on: the interpreter runs
     * instead), and tells the memory when code that does not mark may write.
     */
    static void prepare(Machine m) {
        if (m.fn == null) {
            return;
        }
        Instance inst = m.fn.instance;
        MemoryInstance memory = inst.memory;
        if (!inst.jitPinned) {
            boolean marks = memory != null && memory.logging(System.nanoTime());
            if (inst.jit == null || inst.jit.storeBarrier != marks) {
                JitCache cache = inst.module.codeCache();
                JitCompiler.JitModule jm = m.tier == Machine.Tier.COMPILED
                        ? cache.compiled(inst.module, marks)
                        : m.tier == Machine.Tier.AUTO ? cache.compiledOrStart(inst.module, marks) : null;
                if (jm != null) {
                    use(inst, jm);
                } else if (marks && inst.jit != null) {
                    // The marking variant is still compiling: the interpreter, which always marks,
                    // runs meanwhile, so that the next take stays exact (a full pre-copy round or
                    // checkpoint costs more than a few interpreted slices).
                    use(inst, null);
                }
            }
        }
        if (memory != null && inst.jit != null && !inst.jit.storeBarrier) {
            memory.unmarkedWrites();
        }
    }

    private static JitContext context(Machine m, Instance inst) {
        JitContext ctx = m.jitContext;
        if (ctx == null || ctx.instance != inst) {
            ctx = new JitContext(m, inst);
            m.jitContext = ctx;
        }
        ctx.refresh();
        ctx.calls = 0;
        ctx.stackBytes = 0;
        return ctx;
    }

    /**
     * A call from the interpreter: the caller (the machine's current function, frame pointer
     * {@code fp}) has the arguments on top of its operands, up to {@code sp}, and continues at
     * {@code returnPc}. Fuel comes and goes through {@code m.jitFuel}. Returns the new sp; or -1
     * when compiled frames were unwound into interpreter frames that the interpreter continues
     * (registers in {@code m}); or -2 when the machine must stop ({@code m.jitStop} says why).
     */
    static int call(Machine m, WasmFunction w, int sp, int fp, int returnPc) {
        JitContext ctx = context(m, w.instance);
        ctx.fuel = m.jitFuel;
        ctx.callLimit = Math.min(MAX_CALLS, m.limits.maxCallDepth() - m.depth - 1);
        if (ctx.callLimit <= 0) {
            // The callee's frame would be one past the limit, exactly where the interpreter traps.
            throw new pm.runtime.TrapException(pm.runtime.TrapException.Kind.CALL_STACK_EXHAUSTED);
        }
        int base = sp - w.params.length;
        try {
            int n = w.jit.invoke(w.code.index, m.stack, base, ctx);
            m.jitFuel = ctx.fuel;
            return base + n;
        } catch (JitUnwind u) {
            m.jitFuel = ctx.fuel;
            install(m, u, w.instance, m.fn, fp, returnPc, base);
            return stopped(m, u) ? -2 : -1;
        }
    }

    /**
     * Runs the machine's fresh invocation (one frame at pc 0) in compiled code. Returns how the run
     * ended, or null if the interpreter is to go on from the machine's registers with the fuel in
     * {@code m.jitFuel}.
     */
    static RunResult enter(Machine m, long fuel) {
        WasmFunction w = m.fn;
        JitContext ctx = context(m, w.instance);
        ctx.fuel = fuel;
        ctx.callLimit = Math.min(MAX_CALLS, m.limits.maxCallDepth());
        try {
            int n = w.jit.invoke(w.code.index, m.stack, 0, ctx);
            m.retired += fuel - ctx.fuel;
            return m.complete(n, n);
        } catch (JitUnwind u) {
            m.retired += fuel - Math.max(ctx.fuel, 0);
            m.depth = 0;
            install(m, u, w.instance, null, 0, 0, 0);
            if (stopped(m, u)) {
                return m.jitStop;
            }
            m.jitFuel = Math.max(ctx.fuel, 0);
            return null;
        }
    }

    /**
     * Re-enters compiled code for the machine's innermost frame if it stands at a resume site of a
     * compiled function (where compiled code stopped it: a back-edge or a call): the frame leaves
     * the machine and its function's resume copy carries on from the site, returning into the
     * caller frame as a compiled call would. Returns how the run ended, or null if the interpreter
     * is to go on from the machine's registers: with the fuel in {@code m.jitFuel} if compiled code
     * ran, untouched if the frame cannot be re-entered.
     */
    static RunResult resume(Machine m, long fuel) {
        WasmFunction f = m.fn;
        Instance inst = f.instance;
        JitCompiler.JitModule jm = inst.jit;
        if (jm == null || m.status != Machine.Status.SUSPENDED || fuel <= 0) {
            return null;
        }
        CompiledFunction c = f.code;
        WasmFunction w = (WasmFunction) inst.functions[c.index];
        if (w.jit == null) {
            return null;
        }
        int site = jm.site(c.index, c.offsetOf(m.pc));
        if (site < 0) {
            return null;
        }
        m.jitResumes++;
        int nl = c.localTypes.length;
        long[] s = m.stack;
        long[] locals = java.util.Arrays.copyOfRange(s, m.fp, m.fp + nl);
        long[] operands = java.util.Arrays.copyOfRange(s, m.fp + nl, m.sp);
        int base = m.fp;
        JitContext ctx = context(m, inst);
        ctx.resume = new JitResume(site, locals, operands);
        ctx.fuel = fuel;
        int d = m.depth;
        if (d == 0) {
            ctx.callLimit = Math.min(MAX_CALLS, m.limits.maxCallDepth());
            try {
                int n = w.jit.invoke(c.index, s, base, ctx);
                m.retired += fuel - ctx.fuel;
                return m.complete(base + n, n);
            } catch (JitUnwind u) {
                ctx.resume = null;
                m.retired += fuel - Math.max(ctx.fuel, 0);
                install(m, u, inst, null, 0, 0, base);
                if (stopped(m, u)) {
                    return m.jitStop;
                }
                m.jitFuel = Math.max(ctx.fuel, 0);
                return null;
            }
        }
        // The caller is the saved frame below: it gets the results as from a call.
        d--;
        WasmFunction caller = m.frameFunctions[d];
        int returnPc = m.frames[2 * d];
        int callerFp = m.frames[2 * d + 1];
        m.frameFunctions[d] = null;
        m.depth = d;
        m.fn = caller;
        ctx.callLimit = Math.min(MAX_CALLS, m.limits.maxCallDepth() - d - 1);
        try {
            int n = w.jit.invoke(c.index, s, base, ctx);
            m.retired += fuel - ctx.fuel;
            m.jitFuel = Math.max(ctx.fuel, 0);
            m.pc = returnPc;
            m.fp = callerFp;
            m.sp = base + n;
            return null;
        } catch (JitUnwind u) {
            ctx.resume = null;
            m.retired += fuel - Math.max(ctx.fuel, 0);
            install(m, u, inst, caller, callerFp, returnPc, base);
            if (stopped(m, u)) {
                return m.jitStop;
            }
            m.jitFuel = Math.max(ctx.fuel, 0);
            return null;
        }
    }

    /** Whether {@code f}'s frames may go on in compiled code: the function has compiled code attached. */
    static boolean compiledFrame(WasmFunction f) {
        JitCompiler.JitModule jm = f.instance.jit;
        return jm != null
                && ((WasmFunction) f.instance.functions[f.code.index]).jit != null
                && jm.sites[f.code.index] != null;
    }

    /** Whether an interpreter frame of {@code f} at {@code pc} can re-enter compiled code there ({@link #resume}). */
    static boolean reenterable(WasmFunction f, int pc) {
        if (!compiledFrame(f)) {
            return false;
        }
        int offset = f.code.offsetOf(pc);
        return offset >= 0 && f.instance.jit.site(f.code.index, offset) >= 0;
    }

    private static boolean stopped(Machine m, JitUnwind u) {
        if (LOG) {
            UNWINDS[u.reason.ordinal()].increment();
            if (u.reason == JitUnwind.Reason.DEOPTIMIZE && UNWINDS[3].sum() < 20) {
                JitUnwind.Frame f = u.frames.get(0);
                System.err.printf(
                        "jit: deoptimised in function %d at offset %d, %d frames deep%n",
                        f.function, f.offset, u.frames.size());
            }
        }
        switch (u.reason) {
            case FROZEN:
                m.freezeRequested = false; // consumed, as at an interpreter safepoint
                m.jitStop = RunResult.FROZEN;
                return true;
            case OUT_OF_FUEL:
                m.jitStop = RunResult.OUT_OF_FUEL;
                return true;
            case BLOCKED:
                m.pendingBlockReason = u.blockedReason;
                m.jitStop = RunResult.BLOCKED;
                return true;
            default:
                return false;
        }
    }

    /**
     * Lays the unwound frames out above the machine's saved frames as the interpreter would have
     * them: the caller (if the interpreter called in) saved with its return pc, then each compiled
     * frame's locals and operands from {@code base} on, each but the innermost saved at its call.
     * Installed frames run the function's unfused code (no superinstructions), so that each
     * back-edge is an instruction of its own at the offset of compiled code's resume site there: the
     * interpreter hands such a frame back to compiled code at its next loop ({@link Interpreter}'s
     * osr), which a fused compare-and-branch could not.
     */
    static void install(
            Machine m, JitUnwind u, Instance inst, WasmFunction caller, int callerFp, int returnPc, int base) {
        List<JitUnwind.Frame> frames = u.frames;
        int d = m.depth;
        if (caller != null) {
            m.ensureFrames(d + 1);
            m.frames[2 * d] = returnPc;
            m.frames[2 * d + 1] = callerFp;
            m.frameFunctions[d] = caller;
            d++;
        }
        int fp = base;
        for (int i = frames.size() - 1; i >= 0; i--) {
            JitUnwind.Frame f = frames.get(i);
            // Unfused code: its back-edges stand at the offsets of compiled code's resume sites, so the
            // interpreter can hand the frame back to compiled code at its next loop (Interpreter's osr).
            CompiledFunction c = unfused(inst.module, ((WasmFunction) inst.functions[f.function]).code);
            WasmFunction w = new WasmFunction(inst, c);
            int pc = c.pcOf(f.offset);
            if (pc < 0) {
                throw new IllegalStateException("compiled frame of function " + f.function + " stopped at offset "
                        + f.offset + ", which is no instruction boundary");
            }
            int nl = c.localTypes.length;
            long[] s = m.ensureStack(fp + c.frameSize + 1);
            System.arraycopy(f.locals, 0, s, fp, nl);
            System.arraycopy(f.operands, 0, s, fp + nl, f.operands.length);
            int sp = fp + nl + f.operands.length;
            if (i > 0) {
                m.ensureFrames(d + 1);
                m.frames[2 * d] = pc + (c.code[pc] == Op.CALL ? 2 : 3);
                m.frames[2 * d + 1] = fp;
                m.frameFunctions[d] = w;
                d++;
                fp = sp;
            } else {
                m.fn = w;
                m.pc = pc;
                m.fp = fp;
                m.sp = sp;
                m.depth = d;
            }
        }
        m.status = Machine.Status.SUSPENDED;
    }

    private static CompiledFunction unfused(CompiledModule module, CompiledFunction c) {
        CompiledFunction u = c.unfused;
        if (u == null) {
            u = new FunctionCompiler(module.types, false)
                    .compile(c.index, module.wasm.codeSection().getFunctionBody(c.index - module.importedFunctions));
            c.unfused = u;
        }
        return u;
    }
}
