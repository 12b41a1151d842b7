package pm.runtime.interp;

import java.util.Arrays;
import pm.runtime.TrapException;
import pm.runtime.WasmException;

/**
 * One thread of WebAssembly execution whose whole state is data: a value stack of raw 64-bit slots,
 * a frame stack (return pc, frame pointer, function), and the registers of the innermost frame.
 * There is no Java recursion per WebAssembly call, so the machine can stop between any two
 * instructions and a stopped machine holds no thread.
 *
 * <p>Threads: the machine belongs to whichever single thread calls {@link #start}, {@link #run}
 * or {@link #invoke}; {@link #requestFreeze} is the only method safe from any other thread.
 */
public final class Machine {
    /** Why {@link #run} returned. */
    public enum RunResult {
        /** The invocation finished; {@link #results()} holds its results. */
        COMPLETED,
        /** The fuel budget ran out; call {@link #run} again to continue. */
        OUT_OF_FUEL,
        /** {@link #requestFreeze()} was honoured at a safepoint. */
        FROZEN,
        /** A host function asked to wait; {@link #blockedReason()} says why. */
        BLOCKED
    }

    /**
     * Which tier runs guest code. {@code INTERP}: the interpreter only. {@code COMPILED}: functions
     * are compiled to JVM bytecode ({@link JitCompiler}) before the first run, and those that
     * cannot be (too large for a JVM method, unsupported instructions) stay interpreted.
     * {@code AUTO}: compiled code is made on a background thread and used from the first run
     * after it is ready. Either way states and images are the same.
     */
    public enum Tier {
        INTERP,
        COMPILED,
        AUTO;

        /** The tier named {@code interp}, {@code compiled} or {@code auto}; anything else is an IllegalArgumentException. */
        public static Tier parse(String name) {
            switch (name) {
                case "interp":
                    return INTERP;
                case "compiled":
                    return COMPILED;
                case "auto":
                    return AUTO;
                default:
                    throw new IllegalArgumentException("unknown tier \"" + name + "\": interp, compiled or auto");
            }
        }
    }

    /** The tier of new machines: {@code -Dpm.runtime.tier=interp|compiled|auto}, auto by default. */
    public static Tier defaultTier() {
        return Tier.parse(System.getProperty("pm.runtime.tier", "auto"));
    }

    /** Where the machine is between calls. */
    public enum Status {
        IDLE,
        SUSPENDED
    }

    final Store store;
    final Limits limits;

    long[] stack;
    int sp;
    int[] frames; // per saved frame: return pc, frame pointer
    WasmFunction[] frameFunctions;
    int depth; // saved frames below the current one
    WasmFunction fn; // current frame's function, null when idle
    int pc;
    int fp;

    volatile boolean freezeRequested;
    Status status = Status.IDLE;
    long retired;
    private long[] results;
    private String blockedReason;
    String pendingBlockReason; // set by a suspending host call, consumed by block()

    Tier tier;
    boolean jitOn; // tier != INTERP, read by the interpreter at calls
    boolean enterFresh; // an invocation started and not yet run: it may start in compiled code
    long jitFuel; // fuel handed to and back from compiled code
    RunResult jitStop; // why compiled code stopped the machine
    JitContext jitContext;
    int jitResumes; // frames re-entered into compiled code, for tests

    public Machine(Store store, Limits limits) {
        this.store = store;
        this.limits = limits;
        // Small at first and grown on demand, so that thousands of parked processes cost little.
        this.stack = new long[Math.min(4096, limits.maxStackSlots())];
        int frameCapacity = Math.min(64, limits.maxCallDepth() - 1);
        this.frames = new int[2 * frameCapacity];
        this.frameFunctions = new WasmFunction[frameCapacity];
        tier(limits.tier());
    }

    public Store store() {
        return store;
    }

    public Limits limits() {
        return limits;
    }

    public Tier tier() {
        return tier;
    }

    /** Chooses the tier for what this machine runs from now on; a suspended invocation carries on in it. */
    public Machine tier(Tier tier) {
        this.tier = tier;
        this.jitOn = tier != Tier.INTERP;
        return this;
    }

    /**
     * Whether the invocation under way has compiled code to run: its instance's functions have JVM
     * bytecode attached (as the last slice left them; the next may switch variants, not tiers).
     */
    public boolean runsCompiledCode() {
        return jitOn && fn != null && fn.instance.jit != null;
    }

    public Status status() {
        return status;
    }

    /** Instructions executed by this machine since it was created or restored. */
    public long instructionsRetired() {
        return retired;
    }

    /** Asks the running machine to stop at its next safepoint (loop back-edge or call). Any thread. */
    public void requestFreeze() {
        freezeRequested = true;
    }

    /**
     * Withdraws a freeze request that no safepoint has consumed yet, so the next {@link #run} does
     * not stop at once. Only the thread that owns the machine, between runs.
     */
    public void cancelFreezeRequest() {
        freezeRequested = false;
    }

    /** Calls {@code f} to completion on this thread. */
    public long[] invoke(FunctionRef f, long... args) {
        start(f, args);
        RunResult r = run(Long.MAX_VALUE);
        while (r == RunResult.FROZEN) {
            r = run(Long.MAX_VALUE);
        }
        if (r == RunResult.BLOCKED) {
            abort();
            throw new WasmException("host function blocked during a synchronous invoke: " + blockedReason);
        }
        return results();
    }

    /** Prepares an invocation of {@code f}; nothing runs until {@link #run}. */
    public void start(FunctionRef f, long... args) {
        if (status != Status.IDLE) {
            throw new IllegalStateException("machine is busy: an invocation is already in progress");
        }
        if (args.length != f.params.length) {
            throw new IllegalArgumentException("expected " + f.params.length + " arguments, got " + args.length);
        }
        results = null;
        if (f instanceof HostFunctionRef) {
            results = ((HostFunctionRef) f).implementation.call(null, args.clone());
            return;
        }
        WasmFunction w = (WasmFunction) f;
        CompiledFunction c = w.code;
        ensureStack(c.frameSize);
        System.arraycopy(args, 0, stack, 0, args.length);
        Arrays.fill(stack, args.length, c.localTypes.length, 0L);
        depth = 0;
        fn = w;
        fp = 0;
        sp = c.localTypes.length;
        pc = 0;
        status = Status.SUSPENDED;
        enterFresh = true;
    }

    /**
     * Runs for at most {@code fuel} instructions. A trap aborts the invocation (the machine becomes
     * idle) and is rethrown; the instance keeps every effect made before it.
     */
    public RunResult run(long fuel) {
        if (status != Status.SUSPENDED) {
            if (results != null) {
                return RunResult.COMPLETED; // a host entry function already ran in start()
            }
            throw new IllegalStateException("nothing to run: start an invocation first");
        }
        blockedReason = null;
        try {
            if (jitOn) {
                JitBridge.prepare(this);
                if (enterFresh) {
                    if (fuel <= 0) {
                        return RunResult.OUT_OF_FUEL; // as the interpreter: stopped before the first instruction
                    }
                    enterFresh = false;
                    if (fn.jit != null) {
                        RunResult r = JitBridge.enter(this, fuel);
                        if (r != null) {
                            return r;
                        }
                        fuel = jitFuel;
                    }
                } else if (status == Status.SUSPENDED) {
                    jitFuel = -1;
                    RunResult r = JitBridge.resume(this, fuel);
                    if (r != null) {
                        return r;
                    }
                    if (jitFuel >= 0) {
                        fuel = jitFuel; // the innermost frame ran on in compiled code
                    }
                }
            }
            enterFresh = false;
            RunResult r;
            boolean osr = jitOn;
            while ((r = Interpreter.execute(this, fuel, osr)) == null) {
                // The interpreter stopped at a back-edge of a compiled function: the frame goes on there in compiled
                // code.
                fuel = jitFuel;
                jitFuel = -1;
                RunResult c = JitBridge.resume(this, fuel);
                if (c != null) {
                    return c;
                }
                if (jitFuel >= 0) {
                    fuel = jitFuel;
                } else {
                    osr = false; // could not re-enter after all: the interpreter goes on, and does not stop there again
                }
            }
            return r;
        } catch (RuntimeException | StackOverflowError e) {
            abort();
            throw Interpreter.asTrap(e);
        }
    }

    /** Drops the invocation in progress, if any. */
    public void abort() {
        status = Status.IDLE;
        enterFresh = false;
        fn = null;
        depth = 0;
        sp = 0;
        Arrays.fill(frameFunctions, null);
    }

    public long[] results() {
        if (results == null) {
            throw new IllegalStateException("no completed invocation");
        }
        return results.clone();
    }

    public String blockedReason() {
        return blockedReason;
    }

    // ---- called by the interpreter ----

    RunResult suspend(RunResult why, int pc, int sp, int fp) {
        if (why == RunResult.FROZEN) {
            freezeRequested = false; // consumed; a request made before run() is kept until a safepoint
        }
        this.pc = pc;
        this.sp = sp;
        this.fp = fp;
        return why;
    }

    RunResult block(int pc, int sp, int fp) {
        blockedReason = pendingBlockReason;
        pendingBlockReason = null;
        return suspend(RunResult.BLOCKED, pc, sp, fp);
    }

    RunResult complete(int sp, int count) {
        results = Arrays.copyOfRange(stack, sp - count, sp);
        abortFrames();
        return RunResult.COMPLETED;
    }

    private void abortFrames() {
        status = Status.IDLE;
        fn = null;
        depth = 0;
        this.sp = 0;
    }

    /**
     * Makes room for {@code depth} saved frames, or traps past the limit. The innermost frame lives
     * in registers, so maxCallDepth frames need one less saved slot.
     */
    void ensureFrames(int depth) {
        if (depth > frameFunctions.length) {
            if (depth > limits.maxCallDepth() - 1) {
                throw new TrapException(TrapException.Kind.CALL_STACK_EXHAUSTED);
            }
            int size = (int) Math.min(limits.maxCallDepth() - 1L, Math.max(depth, 2L * frameFunctions.length));
            frames = Arrays.copyOf(frames, 2 * size);
            frameFunctions = Arrays.copyOf(frameFunctions, size);
        }
    }

    /** Makes room for a frame ending at slot {@code top}, or traps when the limit is reached. */
    long[] ensureStack(int top) {
        if (top > stack.length) {
            if (top > limits.maxStackSlots()) {
                throw new TrapException(TrapException.Kind.CALL_STACK_EXHAUSTED);
            }
            int size = (int) Math.min(limits.maxStackSlots(), Math.max(top, 2L * stack.length));
            stack = Arrays.copyOf(stack, size);
        }
        return stack;
    }
}
