package pm.runtime.interp;

import pm.runtime.TrapException;

/**
 * What compiled code calls for everything but arithmetic and memory access (those are in
 * {@link JitOps}): safepoint slow paths, calls it cannot make directly, globals, tables, bulk
 * instructions and traps. Each has the interpreter's semantics.
 */
final class JitRuntime {
    static final byte[] NO_MEMORY = new byte[0];

    private JitRuntime() {}

    // ---- safepoints

    /** Whether a call site must stop: a freeze is asked for, or compiled frames may go no deeper. */
    static boolean mustStop(JitContext ctx) {
        return ctx.machine.freezeRequested || ctx.calls >= ctx.callLimit || ctx.stackBytes >= JitContext.STACK_BUDGET;
    }

    /** The unwind of a safepoint whose poll failed: a freeze, the end of the fuel, or the depth. */
    static JitUnwind poll(JitContext ctx, long fuel, int function, int offset, long[] operands) {
        ctx.fuel = fuel;
        JitUnwind.Reason why = ctx.machine.freezeRequested
                ? JitUnwind.Reason.FROZEN
                : fuel < 0 ? JitUnwind.Reason.OUT_OF_FUEL : JitUnwind.Reason.DEOPTIMIZE;
        return new JitUnwind(why, null).at(function, offset, operands);
    }

    private static JitUnwind deoptimize() {
        return new JitUnwind(JitUnwind.Reason.DEOPTIMIZE, null);
    }

    /** A dispatcher's default: the function is not compiled, the interpreter makes the call. */
    static RuntimeException notCompiled() {
        return deoptimize();
    }

    // ---- calls

    /** Calls function {@code index} when it is an import (a host function); anything else goes to the interpreter. */
    static long[] callFunction(JitContext ctx, int index, long[] args) {
        FunctionRef f = ctx.instance.functions[index];
        if (!(f instanceof HostFunctionRef)) {
            throw deoptimize();
        }
        try {
            return ((HostFunctionRef) f).implementation.call(ctx.instance, args);
        } catch (HostSuspension suspension) {
            throw new JitUnwind(JitUnwind.Reason.BLOCKED, suspension.getMessage());
        } finally {
            ctx.refresh();
        }
    }

    /** The target of a call_indirect as a function index of this instance; traps as the interpreter does. */
    static int indirect(int slot, JitContext ctx, int typeIndex, int table) {
        Instance inst = ctx.instance;
        long[] elements = inst.tables[table].elements;
        int i = slot;
        if (i < 0 || i >= elements.length) {
            throw new TrapException(TrapException.Kind.UNDEFINED_ELEMENT);
        }
        long h = elements[i];
        if (h < 0) {
            throw new TrapException(TrapException.Kind.UNINITIALIZED_ELEMENT);
        }
        FunctionRef f = inst.store.function(h);
        if (f.typeId != inst.typeIds[typeIndex]) {
            throw new TrapException(TrapException.Kind.INDIRECT_CALL_TYPE_MISMATCH);
        }
        if (!(f instanceof WasmFunction) || ((WasmFunction) f).instance != inst) {
            throw deoptimize();
        }
        return ((WasmFunction) f).code.index;
    }

    // ---- traps

    static RuntimeException unreachable() {
        return new TrapException(TrapException.Kind.UNREACHABLE);
    }

    static RuntimeException outOfBounds() {
        return new TrapException(TrapException.Kind.OUT_OF_BOUNDS_MEMORY);
    }

    /** Accesses whose static offset is past any memory, typed by what they load or store. */
    static int outOfBoundsLoadI(int addr) {
        throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_MEMORY);
    }

    static long outOfBoundsLoadJ(int addr) {
        throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_MEMORY);
    }

    static void outOfBoundsStoreI(int addr, int value) {
        throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_MEMORY);
    }

    static void outOfBoundsStoreJ(int addr, long value) {
        throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_MEMORY);
    }

    // ---- state

    static void globalSet(long value, JitContext ctx, int index) {
        ctx.globals[index].value = value;
    }

    static int memoryGrow(int delta, JitContext ctx) {
        int r = ctx.instance.memory.grow(delta);
        ctx.refresh();
        return r;
    }

    static long refFunc(JitContext ctx, int index) {
        return ctx.instance.functions[index].handle;
    }

    static long tableGet(int index, JitContext ctx, int table) {
        long[] t = ctx.instance.tables[table].elements;
        int i = index;
        if (i < 0 || i >= t.length) {
            throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_TABLE);
        }
        return t[i];
    }

    static void tableSet(int index, long value, JitContext ctx, int table) {
        long[] t = ctx.instance.tables[table].elements;
        int i = index;
        if (i < 0 || i >= t.length) {
            throw new TrapException(TrapException.Kind.OUT_OF_BOUNDS_TABLE);
        }
        t[i] = value;
    }

    static int tableGrow(long init, int delta, JitContext ctx, int table) {
        return ctx.instance.tables[table].grow(delta, init);
    }

    static int tableSize(JitContext ctx, int table) {
        return ctx.instance.tables[table].size();
    }

    // ---- bulk instructions: each returns whether it stopped part-way for a freeze, its rest in ctx.rest

    /** Notes the operands of the work a stopped bulk instruction left (see {@link Bulk#rest}). */
    private static boolean stopped(JitContext ctx, int op, int dst, long src, int n, int done) {
        if (done == n) {
            return false;
        }
        long[] rest = {dst, src, n};
        Bulk.rest(op, rest, 0, done);
        ctx.rest = rest;
        return true;
    }

    static boolean tableFill(int i, long ref, int n, JitContext ctx, int table) {
        return stopped(ctx, Op.TABLE_FILL, i, ref, n, Bulk.tableFill(ctx.instance, ctx.machine, table, i, ref, n));
    }

    static boolean tableInit(int dst, int src, int n, JitContext ctx, int segment, int table) {
        return stopped(
                ctx,
                Op.TABLE_INIT,
                dst,
                src,
                n,
                Bulk.tableInit(ctx.instance, ctx.machine, table, segment, dst, src, n));
    }

    static boolean tableCopy(int dst, int src, int n, JitContext ctx, int dstTable, int srcTable) {
        return stopped(
                ctx,
                Op.TABLE_COPY,
                dst,
                src,
                n,
                Bulk.tableCopy(ctx.instance, ctx.machine, dstTable, srcTable, dst, src, n));
    }

    static void elemDrop(JitContext ctx, int segment) {
        ctx.instance.elementSegments[segment] = null;
    }

    static boolean memoryInit(int dst, int src, int n, JitContext ctx, int segment) {
        return stopped(
                ctx, Op.MEMORY_INIT, dst, src, n, Bulk.memoryInit(ctx.instance, ctx.machine, segment, dst, src, n));
    }

    static void dataDrop(JitContext ctx, int segment) {
        ctx.instance.dataSegments[segment] = null;
    }

    static boolean memoryCopy(int dst, int src, int n, JitContext ctx) {
        return stopped(ctx, Op.MEMORY_COPY, dst, src, n, Bulk.memoryCopy(ctx.instance, ctx.machine, dst, src, n));
    }

    static boolean memoryFill(int dst, int value, int n, JitContext ctx) {
        return stopped(
                ctx, Op.MEMORY_FILL, dst, value, n, Bulk.memoryFill(ctx.instance, ctx.machine, dst, (byte) value, n));
    }
}
