package pm.runtime.interp;

import static pm.runtime.interp.Numerics.f32;
import static pm.runtime.interp.Numerics.f64;

import pm.runtime.TrapException;
import pm.runtime.interp.Machine.RunResult;

/**
 * The dispatch loop. Representation: the machine's registers (pc, sp, fp, current function and its
 * code, instance, memory array, globals) live in locals here and go back to the {@link Machine}
 * only when the loop stops. Every op costs one unit of fuel, checked before it runs, so a run can
 * stop before any instruction; freeze requests are read at loop back-edges and calls. Slots hold
 * raw bits: an i32 lives in the low half of its slot and is always read through {@code (int)}.
 *
 * <p>The method is kept below HotSpot's 8000-byte limit for JIT compilation: rare instructions
 * are delegated to {@link Numerics} and {@link Bulk}.
 */
final class Interpreter {
    private static final byte[] NO_MEMORY = new byte[0];

    private Interpreter() {}

    static TrapException asTrap(Throwable e) {
        if (e instanceof TrapException) {
            return (TrapException) e;
        }
        if (e instanceof IndexOutOfBoundsException) {
            return new TrapException(TrapException.Kind.OUT_OF_BOUNDS_MEMORY);
        }
        if (e instanceof ArithmeticException) {
            return new TrapException(TrapException.Kind.INTEGER_DIVIDE_BY_ZERO);
        }
        if (e instanceof StackOverflowError) {
            return new TrapException(TrapException.Kind.CALL_STACK_EXHAUSTED);
        }
        if (e instanceof RuntimeException) {
            throw (RuntimeException) e; // a host function's own failure, not a guest trap
        }
        throw new IllegalStateException(e);
    }

    private static byte[] memoryOf(Instance inst) {
        return inst.memory == null ? NO_MEMORY : inst.memory.bytes;
    }

    private static int sizeOf(Instance inst) {
        return inst.memory == null ? 0 : inst.memory.size;
    }

    private static byte[] dirtyOf(Instance inst) {
        return inst.memory == null ? NO_MEMORY : inst.memory.dirty;
    }

    /** The effective address of an access whose last byte must not pass {@code last} (size minus width). */
    private static int ea(long[] s, int sp, int offset, int last) {
        int a = (int) s[sp];
        int ea = a + offset;
        if ((a | ea) < 0 || ea > last) {
            throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_MEMORY);
        }
        return ea;
    }

    private static TrapException trap(TrapException.Kind kind) {
        return new TrapException(kind);
    }

    /**
     * Runs the machine's current invocation for at most {@code budget} instructions. With {@code osr},
     * a frame of a compiled function (one that compiled code unwound into the interpreter, or the
     * caller such a frame returned to) stops at its next taken back-edge that is a resume site of its
     * compiled code and returns null, with the fuel left in {@code m.jitFuel}: the machine re-enters
     * compiled code there ({@link JitBridge#resume}), so a loop does not stay interpreted for the rest
     * of its frame's life after a slice's end or a freeze.
     */
    static RunResult execute(Machine m, long budget, boolean osr) {
        long[] s = m.stack;
        int sp = m.sp;
        int fp = m.fp;
        int pc = m.pc;
        int[] code = m.fn.code.code;
        Instance inst = m.fn.instance;
        byte[] mem = memoryOf(inst);
        int memSize = sizeOf(inst);
        byte[] dirty = dirtyOf(inst);
        GlobalInstance[] globals = inst.globals;
        long fuel = budget;
        osr = osr && m.jitOn && JitBridge.compiledFrame(m.fn);
        try {
            for (; ; ) {
                if (--fuel < 0) {
                    m.retired += budget;
                    return m.suspend(RunResult.OUT_OF_FUEL, pc, sp, fp);
                }
                switch (code[pc++]) {
                    case Op.UNREACHABLE:
                        throw trap(TrapException.Kind.UNREACHABLE);
                    case Op.BR:
                    case Op.JUMP:
                        pc = code[pc];
                        break;
                    case Op.BR_LOOP:
                        if (m.freezeRequested | osr) {
                            if (m.freezeRequested || JitBridge.reenterable(m.fn, pc - 1)) {
                                return stopAtBackEdge(m, budget, fuel, pc - 1, sp, fp);
                            }
                            osr = false;
                        }
                        pc = code[pc];
                        break;
                    case Op.BR_FIX_LOOP:
                        if (m.freezeRequested | osr) {
                            if (m.freezeRequested || JitBridge.reenterable(m.fn, pc - 1)) {
                                return stopAtBackEdge(m, budget, fuel, pc - 1, sp, fp);
                            }
                            osr = false;
                        }
                    // fall through
                    case Op.BR_FIX: {
                        int dst = fp + code[pc + 1];
                        int n = code[pc + 2];
                        System.arraycopy(s, sp - n, s, dst, n);
                        sp = dst + n;
                        pc = code[pc];
                        break;
                    }
                    case Op.BR_IF:
                        if ((int) s[--sp] != 0) {
                            pc = code[pc];
                        } else {
                            pc++;
                        }
                        break;
                    case Op.BR_IF_LOOP:
                        if ((int) s[sp - 1] != 0) {
                            if (m.freezeRequested | osr) {
                                if (m.freezeRequested || JitBridge.reenterable(m.fn, pc - 1)) {
                                    return stopAtBackEdge(m, budget, fuel, pc - 1, sp, fp);
                                }
                                osr = false;
                            }
                            pc = code[pc];
                        } else {
                            pc++;
                        }
                        sp--;
                        break;
                    case Op.BR_IF_FIX_LOOP:
                        if ((int) s[sp - 1] != 0 && (m.freezeRequested | osr)) {
                            if (m.freezeRequested || JitBridge.reenterable(m.fn, pc - 1)) {
                                return stopAtBackEdge(m, budget, fuel, pc - 1, sp, fp);
                            }
                            osr = false;
                        }
                    // fall through
                    case Op.BR_IF_FIX:
                        if ((int) s[--sp] != 0) {
                            int dst = fp + code[pc + 1];
                            int n = code[pc + 2];
                            System.arraycopy(s, sp - n, s, dst, n);
                            sp = dst + n;
                            pc = code[pc];
                        } else {
                            pc += 3;
                        }
                        break;
                    case Op.BR_TABLE: {
                        if (m.freezeRequested) {
                            m.retired += budget - fuel - 1;
                            return m.suspend(RunResult.FROZEN, pc - 1, sp, fp);
                        }
                        int n = code[pc];
                        int i = (int) s[--sp];
                        if (i < 0 || i > n) {
                            i = n;
                        }
                        int e = pc + 1 + 4 * i;
                        int dst = fp + code[e + 1];
                        int arity = code[e + 2];
                        System.arraycopy(s, sp - arity, s, dst, arity);
                        sp = dst + arity;
                        pc = code[e];
                        break;
                    }
                    case Op.IF_FALSE:
                        if ((int) s[--sp] == 0) {
                            pc = code[pc];
                        } else {
                            pc++;
                        }
                        break;
                    case Op.RETURN: {
                        WasmFunction f = m.fn;
                        int n = f.results.length;
                        if (n == 1) {
                            s[fp] = s[sp - 1];
                        } else if (n > 1) {
                            System.arraycopy(s, sp - n, s, fp, n);
                        }
                        sp = fp + n;
                        int d = m.depth;
                        if (d == 0) {
                            m.retired += budget - fuel;
                            return m.complete(sp, n);
                        }
                        m.depth = --d;
                        pc = m.frames[2 * d];
                        fp = m.frames[2 * d + 1];
                        f = m.frameFunctions[d];
                        m.frameFunctions[d] = null;
                        m.fn = f;
                        osr = m.jitOn && JitBridge.compiledFrame(f);
                        code = f.code.code;
                        if (f.instance != inst) {
                            inst = f.instance;
                            globals = inst.globals;
                            mem = memoryOf(inst);
                            memSize = sizeOf(inst);
                            dirty = dirtyOf(inst);
                        }
                        break;
                    }
                    case Op.CALL:
                    case Op.CALL_INDIRECT: {
                        if (m.freezeRequested) {
                            m.retired += budget - fuel - 1;
                            return m.suspend(RunResult.FROZEN, pc - 1, sp, fp);
                        }
                        int callPc = pc - 1;
                        int spAtCall = sp;
                        FunctionRef f;
                        if (code[callPc] == Op.CALL) {
                            f = inst.functions[code[pc++]];
                        } else {
                            f = resolveIndirect(m.store, inst, code[pc], code[pc + 1], (int) s[--sp]);
                            pc += 2;
                        }
                        if (f instanceof WasmFunction) {
                            WasmFunction w = (WasmFunction) f;
                            if (w.jit != null && m.jitOn) {
                                m.jitFuel = fuel;
                                int r = JitBridge.call(m, w, sp, fp, pc);
                                fuel = m.jitFuel;
                                s = m.stack;
                                if (r >= 0) {
                                    sp = r;
                                } else {
                                    if (r == -2) {
                                        m.retired += budget - fuel;
                                        return m.jitStop;
                                    }
                                    sp = m.sp;
                                    fp = m.fp;
                                    pc = m.pc;
                                    code = m.fn.code.code;
                                    osr = JitBridge.compiledFrame(m.fn);
                                    inst = m.fn.instance;
                                    globals = inst.globals;
                                }
                                mem = memoryOf(inst);
                                dirty = dirtyOf(inst);
                                memSize = sizeOf(inst);
                                break;
                            }
                            fp = enter(m, w, sp, fp, pc);
                            osr = false; // interpreted: not compiled, or the tier is off
                            s = m.stack;
                            sp = fp + w.code.localTypes.length;
                            code = w.code.code;
                            pc = 0;
                            if (w.instance != inst) {
                                inst = w.instance;
                                globals = inst.globals;
                                mem = memoryOf(inst);
                                memSize = sizeOf(inst);
                                dirty = dirtyOf(inst);
                            }
                        } else {
                            int r = callHost(m, (HostFunctionRef) f, inst, sp);
                            if (r < 0) {
                                m.retired += budget - fuel - 1;
                                return m.block(callPc, spAtCall, fp);
                            }
                            sp = r;
                            s = m.stack;
                            mem = memoryOf(inst);
                            memSize = sizeOf(inst);
                            dirty = dirtyOf(inst);
                        }
                        break;
                    }
                    case Op.DROP:
                        sp--;
                        break;
                    case Op.SELECT: {
                        int c = (int) s[--sp];
                        sp--;
                        if (c == 0) {
                            s[sp - 1] = s[sp];
                        }
                        break;
                    }
                    case Op.LOCAL_GET:
                        s[sp++] = s[fp + code[pc++]];
                        break;
                    case Op.LOCAL_SET:
                        s[fp + code[pc++]] = s[--sp];
                        break;
                    case Op.LOCAL_TEE:
                        s[fp + code[pc++]] = s[sp - 1];
                        break;
                    case Op.GLOBAL_GET:
                        s[sp++] = globals[code[pc++]].value;
                        break;
                    case Op.GLOBAL_SET:
                        globals[code[pc++]].value = s[--sp];
                        break;
                    case Op.TABLE_GET: {
                        long[] t = inst.tables[code[pc++]].elements;
                        int i = (int) s[sp - 1];
                        if (i < 0 || i >= t.length) {
                            throw trap(TrapException.Kind.OUT_OF_BOUNDS_TABLE);
                        }
                        s[sp - 1] = t[i];
                        break;
                    }
                    case Op.TABLE_SET: {
                        long[] t = inst.tables[code[pc++]].elements;
                        int i = (int) s[sp - 2];
                        if (i < 0 || i >= t.length) {
                            throw trap(TrapException.Kind.OUT_OF_BOUNDS_TABLE);
                        }
                        t[i] = s[sp - 1];
                        sp -= 2;
                        break;
                    }
                    case Op.I32_LOAD:
                    case Op.F32_LOAD:
                        s[sp - 1] = MemoryInstance.getInt(mem, ea(s, sp - 1, code[pc++], memSize - 4));
                        break;
                    case Op.I64_LOAD:
                    case Op.F64_LOAD:
                        s[sp - 1] = MemoryInstance.getLong(mem, ea(s, sp - 1, code[pc++], memSize - 8));
                        break;
                    case Op.I32_LOAD8_S:
                    case Op.I64_LOAD8_S:
                        s[sp - 1] = mem[ea(s, sp - 1, code[pc++], memSize - 1)];
                        break;
                    case Op.I32_LOAD8_U:
                    case Op.I64_LOAD8_U:
                        s[sp - 1] = mem[ea(s, sp - 1, code[pc++], memSize - 1)] & 0xFF;
                        break;
                    case Op.I32_LOAD16_S:
                    case Op.I64_LOAD16_S:
                        s[sp - 1] = MemoryInstance.getShort(mem, ea(s, sp - 1, code[pc++], memSize - 2));
                        break;
                    case Op.I32_LOAD16_U:
                    case Op.I64_LOAD16_U:
                        s[sp - 1] = MemoryInstance.getShort(mem, ea(s, sp - 1, code[pc++], memSize - 2)) & 0xFFFF;
                        break;
                    case Op.I64_LOAD32_S:
                        s[sp - 1] = MemoryInstance.getInt(mem, ea(s, sp - 1, code[pc++], memSize - 4));
                        break;
                    case Op.I64_LOAD32_U:
                        s[sp - 1] = MemoryInstance.getInt(mem, ea(s, sp - 1, code[pc++], memSize - 4)) & 0xFFFF_FFFFL;
                        break;
                    // Each store marks the pages its bytes landed in (one dirty byte, MemoryInstance.slot), after it
                    // succeeded.
                    case Op.I32_STORE:
                    case Op.F32_STORE:
                    case Op.I64_STORE32: {
                        int a = ea(s, sp - 2, code[pc++], memSize - 4);
                        MemoryInstance.putInt(mem, a, (int) s[sp - 1]);
                        if (MemoryInstance.STORE_BARRIER) {
                            dirty[MemoryInstance.slot(a, a + 3)] = 1;
                        }
                        sp -= 2;
                        break;
                    }
                    case Op.I64_STORE:
                    case Op.F64_STORE: {
                        int a = ea(s, sp - 2, code[pc++], memSize - 8);
                        MemoryInstance.putLong(mem, a, s[sp - 1]);
                        if (MemoryInstance.STORE_BARRIER) {
                            dirty[MemoryInstance.slot(a, a + 7)] = 1;
                        }
                        sp -= 2;
                        break;
                    }
                    case Op.I32_STORE8:
                    case Op.I64_STORE8: {
                        int a = ea(s, sp - 2, code[pc++], memSize - 1);
                        MemoryInstance.putByte(mem, a, (byte) s[sp - 1]);
                        if (MemoryInstance.STORE_BARRIER) {
                            dirty[MemoryInstance.slot(a, a)] = 1;
                        }
                        sp -= 2;
                        break;
                    }
                    case Op.I32_STORE16:
                    case Op.I64_STORE16: {
                        int a = ea(s, sp - 2, code[pc++], memSize - 2);
                        MemoryInstance.putShort(mem, a, (short) s[sp - 1]);
                        if (MemoryInstance.STORE_BARRIER) {
                            dirty[MemoryInstance.slot(a, a + 1)] = 1;
                        }
                        sp -= 2;
                        break;
                    }
                    case Op.MEMORY_OOB:
                        throw trap(TrapException.Kind.OUT_OF_BOUNDS_MEMORY);
                    case Op.MEMORY_SIZE:
                        s[sp++] = memSize / MemoryInstance.PAGE_SIZE;
                        break;
                    case Op.MEMORY_GROW:
                        s[sp - 1] = inst.memory.grow((int) s[sp - 1]);
                        mem = memoryOf(inst);
                        memSize = sizeOf(inst);
                        dirty = dirtyOf(inst);
                        break;
                    case Op.I32_CONST:
                    case Op.F32_CONST:
                        s[sp++] = code[pc++];
                        break;
                    case Op.I64_CONST:
                    case Op.F64_CONST:
                        s[sp++] = (code[pc] & 0xFFFF_FFFFL) | ((long) code[pc + 1] << 32);
                        pc += 2;
                        break;
                    case Op.I32_EQZ:
                        s[sp - 1] = (int) s[sp - 1] == 0 ? 1 : 0;
                        break;
                    case Op.I32_EQ:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] == (int) s[sp] ? 1 : 0;
                        break;
                    case Op.I32_NE:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] != (int) s[sp] ? 1 : 0;
                        break;
                    case Op.I32_LT_S:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] < (int) s[sp] ? 1 : 0;
                        break;
                    case Op.I32_LT_U:
                        sp--;
                        s[sp - 1] = Integer.compareUnsigned((int) s[sp - 1], (int) s[sp]) < 0 ? 1 : 0;
                        break;
                    case Op.I32_GT_S:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] > (int) s[sp] ? 1 : 0;
                        break;
                    case Op.I32_GT_U:
                        sp--;
                        s[sp - 1] = Integer.compareUnsigned((int) s[sp - 1], (int) s[sp]) > 0 ? 1 : 0;
                        break;
                    case Op.I32_LE_S:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] <= (int) s[sp] ? 1 : 0;
                        break;
                    case Op.I32_LE_U:
                        sp--;
                        s[sp - 1] = Integer.compareUnsigned((int) s[sp - 1], (int) s[sp]) <= 0 ? 1 : 0;
                        break;
                    case Op.I32_GE_S:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] >= (int) s[sp] ? 1 : 0;
                        break;
                    case Op.I32_GE_U:
                        sp--;
                        s[sp - 1] = Integer.compareUnsigned((int) s[sp - 1], (int) s[sp]) >= 0 ? 1 : 0;
                        break;
                    case Op.I64_EQZ:
                        s[sp - 1] = s[sp - 1] == 0 ? 1 : 0;
                        break;
                    case Op.I64_EQ:
                        sp--;
                        s[sp - 1] = s[sp - 1] == s[sp] ? 1 : 0;
                        break;
                    case Op.I64_NE:
                        sp--;
                        s[sp - 1] = s[sp - 1] != s[sp] ? 1 : 0;
                        break;
                    case Op.I64_LT_S:
                        sp--;
                        s[sp - 1] = s[sp - 1] < s[sp] ? 1 : 0;
                        break;
                    case Op.I64_LT_U:
                        sp--;
                        s[sp - 1] = Long.compareUnsigned(s[sp - 1], s[sp]) < 0 ? 1 : 0;
                        break;
                    case Op.I64_GT_S:
                        sp--;
                        s[sp - 1] = s[sp - 1] > s[sp] ? 1 : 0;
                        break;
                    case Op.I64_GT_U:
                        sp--;
                        s[sp - 1] = Long.compareUnsigned(s[sp - 1], s[sp]) > 0 ? 1 : 0;
                        break;
                    case Op.I64_LE_S:
                        sp--;
                        s[sp - 1] = s[sp - 1] <= s[sp] ? 1 : 0;
                        break;
                    case Op.I64_LE_U:
                        sp--;
                        s[sp - 1] = Long.compareUnsigned(s[sp - 1], s[sp]) <= 0 ? 1 : 0;
                        break;
                    case Op.I64_GE_S:
                        sp--;
                        s[sp - 1] = s[sp - 1] >= s[sp] ? 1 : 0;
                        break;
                    case Op.I64_GE_U:
                        sp--;
                        s[sp - 1] = Long.compareUnsigned(s[sp - 1], s[sp]) >= 0 ? 1 : 0;
                        break;
                    case Op.F32_EQ:
                        sp--;
                        s[sp - 1] = f32(s[sp - 1]) == f32(s[sp]) ? 1 : 0;
                        break;
                    case Op.F32_NE:
                        sp--;
                        s[sp - 1] = f32(s[sp - 1]) != f32(s[sp]) ? 1 : 0;
                        break;
                    case Op.F32_LT:
                        sp--;
                        s[sp - 1] = f32(s[sp - 1]) < f32(s[sp]) ? 1 : 0;
                        break;
                    case Op.F32_GT:
                        sp--;
                        s[sp - 1] = f32(s[sp - 1]) > f32(s[sp]) ? 1 : 0;
                        break;
                    case Op.F32_LE:
                        sp--;
                        s[sp - 1] = f32(s[sp - 1]) <= f32(s[sp]) ? 1 : 0;
                        break;
                    case Op.F32_GE:
                        sp--;
                        s[sp - 1] = f32(s[sp - 1]) >= f32(s[sp]) ? 1 : 0;
                        break;
                    case Op.F64_EQ:
                        sp--;
                        s[sp - 1] = f64(s[sp - 1]) == f64(s[sp]) ? 1 : 0;
                        break;
                    case Op.F64_NE:
                        sp--;
                        s[sp - 1] = f64(s[sp - 1]) != f64(s[sp]) ? 1 : 0;
                        break;
                    case Op.F64_LT:
                        sp--;
                        s[sp - 1] = f64(s[sp - 1]) < f64(s[sp]) ? 1 : 0;
                        break;
                    case Op.F64_GT:
                        sp--;
                        s[sp - 1] = f64(s[sp - 1]) > f64(s[sp]) ? 1 : 0;
                        break;
                    case Op.F64_LE:
                        sp--;
                        s[sp - 1] = f64(s[sp - 1]) <= f64(s[sp]) ? 1 : 0;
                        break;
                    case Op.F64_GE:
                        sp--;
                        s[sp - 1] = f64(s[sp - 1]) >= f64(s[sp]) ? 1 : 0;
                        break;
                    case Op.I32_CLZ:
                        s[sp - 1] = Integer.numberOfLeadingZeros((int) s[sp - 1]);
                        break;
                    case Op.I32_CTZ:
                        s[sp - 1] = Integer.numberOfTrailingZeros((int) s[sp - 1]);
                        break;
                    case Op.I32_POPCNT:
                        s[sp - 1] = Integer.bitCount((int) s[sp - 1]);
                        break;
                    case Op.I32_ADD:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] + (int) s[sp];
                        break;
                    case Op.I32_SUB:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] - (int) s[sp];
                        break;
                    case Op.I32_MUL:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] * (int) s[sp];
                        break;
                    case Op.I32_DIV_S: {
                        sp--;
                        int a = (int) s[sp - 1];
                        int b = (int) s[sp];
                        if (a == Integer.MIN_VALUE && b == -1) {
                            throw trap(TrapException.Kind.INTEGER_OVERFLOW);
                        }
                        s[sp - 1] = a / b;
                        break;
                    }
                    case Op.I32_DIV_U:
                        sp--;
                        s[sp - 1] = Integer.divideUnsigned((int) s[sp - 1], (int) s[sp]);
                        break;
                    case Op.I32_REM_S:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] % (int) s[sp];
                        break;
                    case Op.I32_REM_U:
                        sp--;
                        s[sp - 1] = Integer.remainderUnsigned((int) s[sp - 1], (int) s[sp]);
                        break;
                    case Op.I32_AND:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] & (int) s[sp];
                        break;
                    case Op.I32_OR:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] | (int) s[sp];
                        break;
                    case Op.I32_XOR:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] ^ (int) s[sp];
                        break;
                    case Op.I32_SHL:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] << (int) s[sp];
                        break;
                    case Op.I32_SHR_S:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] >> (int) s[sp];
                        break;
                    case Op.I32_SHR_U:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] >>> (int) s[sp];
                        break;
                    case Op.I32_ROTL:
                        sp--;
                        s[sp - 1] = Integer.rotateLeft((int) s[sp - 1], (int) s[sp]);
                        break;
                    case Op.I32_ROTR:
                        sp--;
                        s[sp - 1] = Integer.rotateRight((int) s[sp - 1], (int) s[sp]);
                        break;
                    case Op.I64_CLZ:
                        s[sp - 1] = Long.numberOfLeadingZeros(s[sp - 1]);
                        break;
                    case Op.I64_CTZ:
                        s[sp - 1] = Long.numberOfTrailingZeros(s[sp - 1]);
                        break;
                    case Op.I64_POPCNT:
                        s[sp - 1] = Long.bitCount(s[sp - 1]);
                        break;
                    case Op.I64_ADD:
                        sp--;
                        s[sp - 1] += s[sp];
                        break;
                    case Op.I64_SUB:
                        sp--;
                        s[sp - 1] -= s[sp];
                        break;
                    case Op.I64_MUL:
                        sp--;
                        s[sp - 1] *= s[sp];
                        break;
                    case Op.I64_DIV_S:
                        sp--;
                        if (s[sp - 1] == Long.MIN_VALUE && s[sp] == -1L) {
                            throw trap(TrapException.Kind.INTEGER_OVERFLOW);
                        }
                        s[sp - 1] /= s[sp];
                        break;
                    case Op.I64_DIV_U:
                        sp--;
                        s[sp - 1] = Long.divideUnsigned(s[sp - 1], s[sp]);
                        break;
                    case Op.I64_REM_S:
                        sp--;
                        s[sp - 1] %= s[sp];
                        break;
                    case Op.I64_REM_U:
                        sp--;
                        s[sp - 1] = Long.remainderUnsigned(s[sp - 1], s[sp]);
                        break;
                    case Op.I64_AND:
                        sp--;
                        s[sp - 1] &= s[sp];
                        break;
                    case Op.I64_OR:
                        sp--;
                        s[sp - 1] |= s[sp];
                        break;
                    case Op.I64_XOR:
                        sp--;
                        s[sp - 1] ^= s[sp];
                        break;
                    case Op.I64_SHL:
                        sp--;
                        s[sp - 1] <<= s[sp];
                        break;
                    case Op.I64_SHR_S:
                        sp--;
                        s[sp - 1] >>= s[sp];
                        break;
                    case Op.I64_SHR_U:
                        sp--;
                        s[sp - 1] >>>= s[sp];
                        break;
                    case Op.I64_ROTL:
                        sp--;
                        s[sp - 1] = Long.rotateLeft(s[sp - 1], (int) s[sp]);
                        break;
                    case Op.I64_ROTR:
                        sp--;
                        s[sp - 1] = Long.rotateRight(s[sp - 1], (int) s[sp]);
                        break;
                    case Op.F32_ABS:
                        s[sp - 1] &= 0x7FFF_FFFFL;
                        break;
                    case Op.F32_NEG:
                        s[sp - 1] ^= 0x8000_0000L;
                        break;
                    case Op.F32_CEIL:
                    case Op.F32_FLOOR:
                    case Op.F32_TRUNC:
                    case Op.F32_NEAREST:
                    case Op.F32_SQRT:
                        s[sp - 1] = Numerics.f32Unary(code[pc - 1], s[sp - 1]);
                        break;
                    case Op.F32_ADD:
                        sp--;
                        s[sp - 1] = f32(f32(s[sp - 1]) + f32(s[sp]));
                        break;
                    case Op.F32_SUB:
                        sp--;
                        s[sp - 1] = f32(f32(s[sp - 1]) - f32(s[sp]));
                        break;
                    case Op.F32_MUL:
                        sp--;
                        s[sp - 1] = f32(f32(s[sp - 1]) * f32(s[sp]));
                        break;
                    case Op.F32_DIV:
                        sp--;
                        s[sp - 1] = f32(f32(s[sp - 1]) / f32(s[sp]));
                        break;
                    case Op.F32_MIN:
                        sp--;
                        s[sp - 1] = Numerics.f32Min(s[sp - 1], s[sp]);
                        break;
                    case Op.F32_MAX:
                        sp--;
                        s[sp - 1] = Numerics.f32Max(s[sp - 1], s[sp]);
                        break;
                    case Op.F32_COPYSIGN:
                        sp--;
                        s[sp - 1] = ((int) s[sp - 1] & 0x7FFF_FFFF) | ((int) s[sp] & 0x8000_0000);
                        break;
                    case Op.F64_ABS:
                        s[sp - 1] &= Long.MAX_VALUE;
                        break;
                    case Op.F64_NEG:
                        s[sp - 1] ^= Long.MIN_VALUE;
                        break;
                    case Op.F64_CEIL:
                    case Op.F64_FLOOR:
                    case Op.F64_TRUNC:
                    case Op.F64_NEAREST:
                    case Op.F64_SQRT:
                        s[sp - 1] = Numerics.f64Unary(code[pc - 1], s[sp - 1]);
                        break;
                    case Op.F64_ADD:
                        sp--;
                        s[sp - 1] = f64(f64(s[sp - 1]) + f64(s[sp]));
                        break;
                    case Op.F64_SUB:
                        sp--;
                        s[sp - 1] = f64(f64(s[sp - 1]) - f64(s[sp]));
                        break;
                    case Op.F64_MUL:
                        sp--;
                        s[sp - 1] = f64(f64(s[sp - 1]) * f64(s[sp]));
                        break;
                    case Op.F64_DIV:
                        sp--;
                        s[sp - 1] = f64(f64(s[sp - 1]) / f64(s[sp]));
                        break;
                    case Op.F64_MIN:
                        sp--;
                        s[sp - 1] = Numerics.f64Min(s[sp - 1], s[sp]);
                        break;
                    case Op.F64_MAX:
                        sp--;
                        s[sp - 1] = Numerics.f64Max(s[sp - 1], s[sp]);
                        break;
                    case Op.F64_COPYSIGN:
                        sp--;
                        s[sp - 1] = (s[sp - 1] & Long.MAX_VALUE) | (s[sp] & Long.MIN_VALUE);
                        break;
                    case Op.I64_EXTEND_I32_S:
                    case Op.I64_EXTEND_32_S:
                        s[sp - 1] = (int) s[sp - 1];
                        break;
                    case Op.I64_EXTEND_I32_U:
                        s[sp - 1] &= 0xFFFF_FFFFL;
                        break;
                    case Op.I32_EXTEND_8_S:
                    case Op.I64_EXTEND_8_S:
                        s[sp - 1] = (byte) s[sp - 1];
                        break;
                    case Op.I32_EXTEND_16_S:
                    case Op.I64_EXTEND_16_S:
                        s[sp - 1] = (short) s[sp - 1];
                        break;
                    case Op.I32_TRUNC_F32_S:
                    case Op.I32_TRUNC_F32_U:
                    case Op.I32_TRUNC_F64_S:
                    case Op.I32_TRUNC_F64_U:
                    case Op.I64_TRUNC_F32_S:
                    case Op.I64_TRUNC_F32_U:
                    case Op.I64_TRUNC_F64_S:
                    case Op.I64_TRUNC_F64_U:
                    case Op.F32_CONVERT_I32_S:
                    case Op.F32_CONVERT_I32_U:
                    case Op.F32_CONVERT_I64_S:
                    case Op.F32_CONVERT_I64_U:
                    case Op.F32_DEMOTE_F64:
                    case Op.F64_CONVERT_I32_S:
                    case Op.F64_CONVERT_I32_U:
                    case Op.F64_CONVERT_I64_S:
                    case Op.F64_CONVERT_I64_U:
                    case Op.F64_PROMOTE_F32:
                    case Op.I32_TRUNC_SAT_F32_S:
                    case Op.I32_TRUNC_SAT_F32_U:
                    case Op.I32_TRUNC_SAT_F64_S:
                    case Op.I32_TRUNC_SAT_F64_U:
                    case Op.I64_TRUNC_SAT_F32_S:
                    case Op.I64_TRUNC_SAT_F32_U:
                    case Op.I64_TRUNC_SAT_F64_S:
                    case Op.I64_TRUNC_SAT_F64_U:
                        s[sp - 1] = Numerics.convert(code[pc - 1], s[sp - 1]);
                        break;
                    case Op.LOCAL_GET2:
                        s[sp] = s[fp + code[pc]];
                        s[sp + 1] = s[fp + code[pc + 1]];
                        sp += 2;
                        pc += 2;
                        break;
                    case Op.LOCAL_GET_CONST:
                        s[sp] = s[fp + code[pc]];
                        s[sp + 1] = code[pc + 1];
                        sp += 2;
                        pc += 2;
                        break;
                    case Op.LOCAL_ADD_C:
                        s[sp++] = (int) s[fp + code[pc]] + code[pc + 1];
                        pc += 2;
                        break;
                    case Op.I32_ADD_C:
                        s[sp - 1] = (int) s[sp - 1] + code[pc++];
                        break;
                    case Op.I32_AND_C:
                        s[sp - 1] = (int) s[sp - 1] & code[pc++];
                        break;
                    case Op.I32_SHL_C:
                        s[sp - 1] = (int) s[sp - 1] << code[pc++];
                        break;
                    case Op.I32_SHR_U_C:
                        s[sp - 1] = (int) s[sp - 1] >>> code[pc++];
                        break;
                    case Op.I32_LOAD_L:
                        s[sp] = MemoryInstance.getInt(mem, ea(s, fp + code[pc], code[pc + 1], memSize - 4));
                        sp++;
                        pc += 2;
                        break;
                    case Op.LOCAL_SET_GET:
                        s[fp + code[pc]] = s[sp - 1];
                        s[sp - 1] = s[fp + code[pc + 1]];
                        pc += 2;
                        break;
                    case Op.LOCAL_TEE_GET:
                        s[fp + code[pc]] = s[sp - 1];
                        s[sp++] = s[fp + code[pc + 1]];
                        pc += 2;
                        break;
                    case Op.I32_ADD_SET:
                        sp -= 2;
                        s[fp + code[pc++]] = (int) s[sp] + (int) s[sp + 1];
                        break;
                    case Op.BR_UNLESS:
                        if ((int) s[--sp] == 0) {
                            pc = code[pc];
                        } else {
                            pc++;
                        }
                        break;
                    case Op.BR_IF_NE:
                        sp -= 2;
                        if ((int) s[sp] != (int) s[sp + 1]) {
                            pc = code[pc];
                        } else {
                            pc++;
                        }
                        break;
                    case Op.BR_IF_EQ:
                        sp -= 2;
                        if ((int) s[sp] == (int) s[sp + 1]) {
                            pc = code[pc];
                        } else {
                            pc++;
                        }
                        break;
                    // Four near-identical cases on purpose: one shared condition helper was too big for C2
                    // to inline on this back-edge path and cost a quarter of bzip2's speed.
                    case Op.BR_UNLESS_LOOP:
                        if ((int) s[sp - 1] == 0) {
                            if (m.freezeRequested | osr) {
                                if (m.freezeRequested || JitBridge.reenterable(m.fn, pc - 1)) {
                                    return stopAtBackEdge(m, budget, fuel, pc - 1, sp, fp);
                                }
                                osr = false;
                            }
                            pc = code[pc];
                        } else {
                            pc++;
                        }
                        sp -= 1;
                        break;
                    case Op.BR_IF_NE_LOOP:
                        if ((int) s[sp - 2] != (int) s[sp - 1]) {
                            if (m.freezeRequested | osr) {
                                if (m.freezeRequested || JitBridge.reenterable(m.fn, pc - 1)) {
                                    return stopAtBackEdge(m, budget, fuel, pc - 1, sp, fp);
                                }
                                osr = false;
                            }
                            pc = code[pc];
                        } else {
                            pc++;
                        }
                        sp -= 2;
                        break;
                    case Op.BR_IF_LT_U_LOOP:
                        if (Integer.compareUnsigned((int) s[sp - 2], (int) s[sp - 1]) < 0) {
                            if (m.freezeRequested | osr) {
                                if (m.freezeRequested || JitBridge.reenterable(m.fn, pc - 1)) {
                                    return stopAtBackEdge(m, budget, fuel, pc - 1, sp, fp);
                                }
                                osr = false;
                            }
                            pc = code[pc];
                        } else {
                            pc++;
                        }
                        sp -= 2;
                        break;
                    case Op.BR_IF_LT_S_LOOP:
                        if ((int) s[sp - 2] < (int) s[sp - 1]) {
                            if (m.freezeRequested | osr) {
                                if (m.freezeRequested || JitBridge.reenterable(m.fn, pc - 1)) {
                                    return stopAtBackEdge(m, budget, fuel, pc - 1, sp, fp);
                                }
                                osr = false;
                            }
                            pc = code[pc];
                        } else {
                            pc++;
                        }
                        sp -= 2;
                        break;
                    case Op.I32_ADD_TEE:
                        sp--;
                        s[sp - 1] = s[fp + code[pc++]] = (int) s[sp - 1] + (int) s[sp];
                        break;
                    case Op.I32_ADD_L:
                        s[sp - 1] = (int) s[sp - 1] + (int) s[fp + code[pc++]];
                        break;
                    case Op.I32_SUB_L:
                        s[sp - 1] = (int) s[sp - 1] - (int) s[fp + code[pc++]];
                        break;
                    case Op.I32_SHL_ADD:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] + ((int) s[sp] << code[pc++]);
                        break;
                    case Op.I32_LOAD8_U_ADD:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] + (int) s[sp];
                        s[sp - 1] = mem[ea(s, sp - 1, code[pc++], memSize - 1)] & 0xFF;
                        break;
                    case Op.I32_LOAD_ADD:
                        sp--;
                        s[sp - 1] = (int) s[sp - 1] + (int) s[sp];
                        s[sp - 1] = MemoryInstance.getInt(mem, ea(s, sp - 1, code[pc++], memSize - 4));
                        break;
                    case Op.I32_LOAD8_U_C:
                        s[sp - 1] = (int) s[sp - 1] + code[pc];
                        s[sp - 1] = mem[ea(s, sp - 1, code[pc + 1], memSize - 1)] & 0xFF;
                        pc += 2;
                        break;
                    case Op.I32_LOAD_C:
                        s[sp - 1] = (int) s[sp - 1] + code[pc];
                        s[sp - 1] = MemoryInstance.getInt(mem, ea(s, sp - 1, code[pc + 1], memSize - 4));
                        pc += 2;
                        break;
                    case Op.LOCAL_TEE_LOAD:
                        s[fp + code[pc]] = s[sp - 1];
                        s[sp - 1] = MemoryInstance.getInt(mem, ea(s, sp - 1, code[pc + 1], memSize - 4));
                        pc += 2;
                        break;
                    case Op.I32_LOAD8_U_TEE:
                        s[sp - 1] = s[fp + code[pc + 1]] = mem[ea(s, sp - 1, code[pc], memSize - 1)] & 0xFF;
                        pc += 2;
                        break;
                    case Op.I32_ADD_C_TEE:
                        s[sp - 1] = s[fp + code[pc + 1]] = (int) s[sp - 1] + code[pc];
                        pc += 2;
                        break;
                    case Op.LOCAL_GET_LOAD_L:
                        s[sp] = s[fp + code[pc]];
                        s[sp + 1] = MemoryInstance.getInt(mem, ea(s, fp + code[pc + 1], code[pc + 2], memSize - 4));
                        sp += 2;
                        pc += 3;
                        break;
                    case Op.REF_NULL:
                        s[sp++] = ValueTypes.NULL_REF;
                        break;
                    case Op.REF_IS_NULL:
                        s[sp - 1] = s[sp - 1] == ValueTypes.NULL_REF ? 1 : 0;
                        break;
                    case Op.REF_FUNC:
                        s[sp++] = inst.functions[code[pc++]].handle;
                        break;
                    default:
                        {
                            int nsp = bulk(code[pc - 1], code, pc, s, sp, m, inst);
                            if (nsp < 0) {
                                // stopped part-way for a freeze: the instruction runs again on the rest
                                m.retired += budget - fuel - 1;
                                return m.suspend(RunResult.FROZEN, pc - 1, sp, fp);
                            }
                            sp = nsp;
                        }
                        pc += bulkImmediates(code[pc - 1]);
                        mem = memoryOf(inst);
                        memSize = sizeOf(inst);
                        dirty = dirtyOf(inst);
                        break;
                }
            }
        } catch (RuntimeException e) {
            m.retired += budget - fuel;
            throw e;
        }
    }

    /**
     * Leaves the interpreter at the back-edge at {@code pc}: frozen if a freeze was asked for, else
     * (null) for the machine to re-enter compiled code there with the fuel left. The back-edge has
     * been charged but has not run.
     */
    private static RunResult stopAtBackEdge(Machine m, long budget, long fuel, int pc, int sp, int fp) {
        m.retired += budget - fuel - 1;
        if (m.freezeRequested) {
            return m.suspend(RunResult.FROZEN, pc, sp, fp);
        }
        m.jitFuel = fuel + 1;
        m.suspend(RunResult.OUT_OF_FUEL, pc, sp, fp);
        return null;
    }

    private static int bulkImmediates(int op) {
        switch (op) {
            case Op.MEMORY_COPY:
            case Op.MEMORY_FILL:
                return 0;
            case Op.TABLE_INIT:
            case Op.TABLE_COPY:
                return 2;
            default:
                return 1;
        }
    }

    private static FunctionRef resolveIndirect(Store store, Instance inst, int typeIndex, int table, int i) {
        long[] elements = inst.tables[table].elements;
        if (i < 0 || i >= elements.length) {
            throw trap(TrapException.Kind.UNDEFINED_ELEMENT);
        }
        long h = elements[i];
        if (h < 0) {
            throw trap(TrapException.Kind.UNINITIALIZED_ELEMENT);
        }
        FunctionRef f = store.function(h);
        if (f.typeId != inst.typeIds[typeIndex]) {
            throw trap(TrapException.Kind.INDIRECT_CALL_TYPE_MISMATCH);
        }
        return f;
    }

    /** Pushes the caller's frame and lays out the callee's; returns the callee's frame pointer. */
    private static int enter(Machine m, WasmFunction w, int sp, int fp, int returnPc) {
        CompiledFunction c = w.code;
        int d = m.depth;
        if (d == m.frameFunctions.length) {
            m.ensureFrames(d + 1);
        }
        int nfp = sp - c.paramTypes.length;
        long[] s = m.stack;
        if (nfp + c.frameSize > s.length) {
            s = m.ensureStack(nfp + c.frameSize);
        }
        m.frames[2 * d] = returnPc;
        m.frames[2 * d + 1] = fp;
        m.frameFunctions[d] = m.fn;
        m.depth = d + 1;
        m.fn = w;
        for (int i = sp, top = nfp + c.localTypes.length; i < top; i++) {
            s[i] = 0L;
        }
        return nfp;
    }

    /** Calls a host function with the top arguments; returns the new sp, or -1 if it suspended. */
    private static int callHost(Machine m, HostFunctionRef f, Instance inst, int sp) {
        int n = f.params.length;
        long[] args = new long[n];
        System.arraycopy(m.stack, sp - n, args, 0, n);
        long[] results;
        try {
            results = f.implementation.call(inst, args);
        } catch (HostSuspension suspension) {
            m.pendingBlockReason = suspension.getMessage();
            return -1;
        }
        sp -= n;
        long[] s = m.ensureStack(sp + results.length);
        System.arraycopy(results, 0, s, sp, results.length);
        return sp + results.length;
    }

    /**
     * Bulk memory and table instructions, and table grow/size; returns the new sp, or -1 if a bulk
     * instruction stopped part-way for a freeze (its operands then describe the work left).
     */
    private static int bulk(int op, int[] code, int pc, long[] s, int sp, Machine m, Instance inst) {
        switch (op) {
            case Op.MEMORY_INIT:
                return after(op, s, sp, Bulk.memoryInit(inst, m, code[pc], (int) s[sp - 3], (int) s[sp - 2], (int)
                        s[sp - 1]));
            case Op.DATA_DROP:
                inst.dataSegments[code[pc]] = null;
                return sp;
            case Op.MEMORY_COPY:
                return after(op, s, sp, Bulk.memoryCopy(inst, m, (int) s[sp - 3], (int) s[sp - 2], (int) s[sp - 1]));
            case Op.MEMORY_FILL:
                return after(op, s, sp, Bulk.memoryFill(inst, m, (int) s[sp - 3], (byte) s[sp - 2], (int) s[sp - 1]));
            case Op.TABLE_INIT:
                return after(
                        op,
                        s,
                        sp,
                        Bulk.tableInit(
                                inst, m, code[pc + 1], code[pc], (int) s[sp - 3], (int) s[sp - 2], (int) s[sp - 1]));
            case Op.ELEM_DROP:
                inst.elementSegments[code[pc]] = null;
                return sp;
            case Op.TABLE_COPY:
                return after(
                        op,
                        s,
                        sp,
                        Bulk.tableCopy(
                                inst, m, code[pc], code[pc + 1], (int) s[sp - 3], (int) s[sp - 2], (int) s[sp - 1]));
            case Op.TABLE_GROW:
                s[sp - 2] = inst.tables[code[pc]].grow((int) s[sp - 1], s[sp - 2]);
                return sp - 1;
            case Op.TABLE_SIZE:
                s[sp] = inst.tables[code[pc]].size();
                return sp + 1;
            case Op.TABLE_FILL:
                return after(op, s, sp, Bulk.tableFill(inst, m, code[pc], (int) s[sp - 3], s[sp - 2], (int) s[sp - 1]));
            default:
                throw new IllegalStateException("unknown op " + Op.name(op) + " at pc " + (pc - 1));
        }
    }

    /** The sp after bulk instruction {@code op} did {@code done} units: its operands popped, or -1 and rewritten to the rest. */
    private static int after(int op, long[] s, int sp, int done) {
        if (done == (int) s[sp - 1]) {
            return sp - 3;
        }
        Bulk.rest(op, s, sp - 3, done);
        return -1;
    }
}
