package pm.runtime.interp;

import com.google.protobuf.ByteString;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import pm.runtime.StateMismatchException;
import pm.v1.ExecutionState;
import pm.v1.Frame;
import pm.v1.GlobalState;
import pm.v1.Label;
import pm.v1.LabelKind;
import pm.v1.MemoryPage;
import pm.v1.MemoryState;
import pm.v1.RefValue;
import pm.v1.RunStatus;
import pm.v1.TableEntry;
import pm.v1.TableState;
import pm.v1.Value;

/**
 * Writes an instance plus its machine as a WebAssembly-level {@link ExecutionState}, and builds a
 * new instance and machine from one. Positions become instruction offsets and slots become typed
 * values, using the compiler's walk to know the types live at each offset; on the way back every
 * frame is checked against the same walk, so a state that does not fit the module is refused
 * before anything runs.
 */
public final class Snapshots {
    public static final int FORMAT_VERSION = 1;

    private Snapshots() {}

    /** A restored instance and the machine that continues its suspended invocation (if any). */
    public record Restored(Instance instance, Machine machine) {}

    /** Captures {@code instance} and the invocation suspended in {@code machine} (or none if idle). */
    public static ExecutionState capture(Instance instance, Machine machine) {
        return capture(instance, machine, true);
    }

    /**
     * Captures all but the memory's contents (its size only), for writers that take the pages
     * straight from {@link Instance#memory()}, such as process images.
     */
    public static ExecutionState captureWithoutPages(Instance instance, Machine machine) {
        return capture(instance, machine, false);
    }

    private static ExecutionState capture(Instance instance, Machine machine, boolean withPages) {
        CompiledModule module = instance.module;
        ExecutionState.Builder out = ExecutionState.newBuilder()
                .setFormatVersion(FORMAT_VERSION)
                .setModuleSha256(ByteString.copyFrom(module.sha256()))
                .setInstructionsRetired(machine.retired);
        if (machine.status == Machine.Status.SUSPENDED) {
            out.setStatus(RunStatus.RUN_STATUS_SUSPENDED);
            captureFrames(instance, machine, out);
        } else {
            out.setStatus(RunStatus.RUN_STATUS_IDLE);
        }
        if (instance.memory != null && module.importedMemories == 0) {
            out.addMemories(
                    withPages
                            ? captureMemory(instance.memory)
                            : MemoryState.newBuilder()
                                    .setPages(instance.memory.pages())
                                    .build());
        }
        for (int i = module.importedGlobals; i < instance.globals.length; i++) {
            GlobalInstance g = instance.globals[i];
            out.addGlobals(GlobalState.newBuilder().setValue(value(instance, g.type, g.value)));
        }
        for (int i = module.importedTables; i < instance.tables.length; i++) {
            TableInstance t = instance.tables[i];
            TableState.Builder ts = TableState.newBuilder().setSize(t.size());
            for (int j = 0; j < t.size(); j++) {
                if (t.elements[j] != ValueTypes.NULL_REF) {
                    ts.addEntries(TableEntry.newBuilder()
                            .setIndex(j)
                            .setValue(value(instance, t.elementType, t.elements[j])));
                }
            }
            out.addTables(ts);
        }
        for (int i = 0; i < instance.dataSegments.length; i++) {
            if (instance.dataSegments[i] == null) {
                out.addDroppedData(i);
            }
        }
        for (int i = 0; i < instance.elementSegments.length; i++) {
            if (instance.elementSegments[i] == null) {
                out.addDroppedElements(i);
            }
        }
        return out.build();
    }

    private static void captureFrames(Instance instance, Machine m, ExecutionState.Builder out) {
        int frameCount = m.depth + 1;
        for (int i = 0; i < frameCount; i++) {
            WasmFunction f = frameFunction(m, i);
            if (f.instance != instance) {
                throw new StateMismatchException(
                        "frame " + i + " runs in another instance; only single-instance states can be captured");
            }
        }
        out.setEntryFunction(frameFunction(m, 0).code.index);
        for (int i = 0; i < frameCount; i++) {
            boolean innermost = i == m.depth;
            WasmFunction f = frameFunction(m, i);
            CompiledFunction c = f.code;
            int fp = innermost ? m.fp : m.frames[2 * i + 1];
            int end = innermost ? m.sp : (i + 1 < m.depth ? m.frames[2 * (i + 1) + 1] : m.fp);
            int pc = innermost ? m.pc : callStart(c, m.frames[2 * i]);
            int offset = c.offsetOf(pc);
            FunctionCompiler.Probe probe = probe(instance.module, c, offset);
            int operandCount = end - fp - c.localTypes.length;
            int consumed =
                    innermost ? 0 : frameFunction(m, i + 1).params.length + (c.code[pc] == Op.CALL_INDIRECT ? 1 : 0);
            int expected = probe.operandTypes.length - consumed;
            if (offset < 0 || operandCount != expected) {
                throw new IllegalStateException("machine frame " + i + " inconsistent with its function at pc " + pc);
            }
            Frame.Builder fb = Frame.newBuilder().setFunctionIndex(c.index).setOffset(offset);
            for (int l = 0; l < c.localTypes.length; l++) {
                fb.addLocals(value(instance, c.localTypes[l], m.stack[fp + l]));
            }
            int base = fp + c.localTypes.length;
            for (int o = 0; o < operandCount; o++) {
                fb.addOperands(value(instance, probe.operandTypes[o], m.stack[base + o]));
            }
            for (int[] l : probe.labels) {
                fb.addLabels(Label.newBuilder()
                        .setKind(LabelKind.forNumber(l[0] == FunctionCompiler.KIND_ELSE ? 4 : l[0]))
                        .setStartOffset(l[1])
                        .setArity(l[2])
                        .setHeight(l[3]));
            }
            out.addFrames(fb);
        }
    }

    private static WasmFunction frameFunction(Machine m, int frame) {
        return frame < m.depth ? m.frameFunctions[frame] : m.fn;
    }

    /** The start of the call op whose return address is {@code returnPc}. */
    private static int callStart(CompiledFunction c, int returnPc) {
        int i = Arrays.binarySearch(c.opPcs, returnPc - 1);
        if (i < 0) {
            i = -i - 2;
        }
        return c.opPcs[i];
    }

    private static FunctionCompiler.Probe probe(CompiledModule module, CompiledFunction c, int offset) {
        return new FunctionCompiler(module.types)
                .probe(c.index, module.wasm.codeSection().getFunctionBody(c.index - module.importedFunctions), offset);
    }

    private static MemoryState captureMemory(MemoryInstance memory) {
        MemoryState.Builder ms = MemoryState.newBuilder().setPages(memory.pages());
        byte[] bytes = memory.bytes;
        for (int p = 0; p < memory.pages(); p++) {
            int from = p * MemoryInstance.PAGE_SIZE;
            if (!MemoryInstance.isZeroPage(bytes, p)) {
                ms.addData(MemoryPage.newBuilder()
                        .setIndex(p)
                        .setBytes(ByteString.copyFrom(bytes, from, MemoryInstance.PAGE_SIZE)));
            }
        }
        return ms.build();
    }

    private static Value value(Instance instance, byte type, long slot) {
        switch (type) {
            case ValueTypes.I32:
                return Value.newBuilder().setI32((int) slot).build();
            case ValueTypes.I64:
                return Value.newBuilder().setI64(slot).build();
            case ValueTypes.F32:
                return Value.newBuilder().setF32((int) slot).build();
            case ValueTypes.F64:
                return Value.newBuilder().setF64(slot).build();
            case ValueTypes.FUNCREF: {
                if (slot == ValueTypes.NULL_REF) {
                    return Value.newBuilder()
                            .setFuncref(RefValue.newBuilder().setIsNull(true))
                            .build();
                }
                int index = instance.indexOf(instance.store.function(slot));
                if (index < 0) {
                    throw new StateMismatchException(
                            "a reference to a function outside the instance cannot be captured");
                }
                return Value.newBuilder()
                        .setFuncref(RefValue.newBuilder().setIndex(index))
                        .build();
            }
            default:
                return Value.newBuilder()
                        .setExternref(
                                slot == ValueTypes.NULL_REF
                                        ? RefValue.newBuilder().setIsNull(true)
                                        : RefValue.newBuilder().setIndex(slot))
                        .build();
        }
    }

    // ---------------------------------------------------------------- restore

    /**
     * Builds a fresh instance of {@code module} holding the captured memory, globals and tables,
     * linked against {@code imports}, and a machine positioned where the capture stopped.
     */
    public static Restored restore(
            CompiledModule module, ExecutionState state, Imports imports, Store store, Limits limits) {
        return restore(module, state, imports, store, limits, null);
    }

    /**
     * As {@link #restore(CompiledModule, ExecutionState, Imports, Store, Limits)}, but the memory's
     * contents are {@code memory} (taken over, not copied) instead of pages inside {@code state}.
     */
    public static Restored restore(
            CompiledModule module, ExecutionState state, Imports imports, Store store, Limits limits, byte[] memory) {
        if (state.getFormatVersion() != FORMAT_VERSION) {
            throw new StateMismatchException("unsupported state format version " + state.getFormatVersion()
                    + " (expected " + FORMAT_VERSION + ")");
        }
        byte[] sha = state.getModuleSha256().toByteArray();
        if (!Arrays.equals(sha, module.sha256())) {
            throw new StateMismatchException(
                    "state belongs to module sha256:" + HexFormat.of().formatHex(sha) + ", not to sha256:"
                            + HexFormat.of().formatHex(module.sha256()));
        }
        Instance instance = Instance.forRestore(module, imports, store, limits);
        restoreMemory(module, instance, state, memory);
        restoreGlobals(module, instance, state);
        restoreTables(module, instance, state);
        for (int d : state.getDroppedDataList()) {
            check(d < instance.dataSegments.length, "dropped data segment " + d + " does not exist");
            instance.dataSegments[d] = null;
        }
        for (int e : state.getDroppedElementsList()) {
            check(e < instance.elementSegments.length, "dropped element segment " + e + " does not exist");
            instance.elementSegments[e] = null;
        }
        Machine machine = new Machine(store, limits);
        machine.retired = state.getInstructionsRetired();
        if (state.getStatus() == RunStatus.RUN_STATUS_SUSPENDED) {
            restoreFrames(module, instance, machine, state.getFramesList());
        } else {
            check(state.getStatus() == RunStatus.RUN_STATUS_IDLE, "unknown run status " + state.getStatusValue());
            check(state.getFramesCount() == 0, "an idle state has no frames");
        }
        return new Restored(instance, machine);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new StateMismatchException(message);
        }
    }

    private static void restoreMemory(CompiledModule module, Instance instance, ExecutionState state, byte[] contents) {
        boolean defined = instance.memory != null && module.importedMemories == 0;
        check(
                state.getMemoriesCount() == (defined ? 1 : 0),
                "state has " + state.getMemoriesCount() + " memories, module defines " + (defined ? 1 : 0));
        check(defined || contents == null, "memory contents given for a module that defines no memory");
        if (!defined) {
            return;
        }
        MemoryState ms = state.getMemories(0);
        if (contents != null) {
            check(ms.getDataCount() == 0, "memory pages given twice");
            // Longer is a live memory's array with its reserve (see MemoryInstance#bytes).
            check(
                    contents.length >= (long) ms.getPages() * MemoryInstance.PAGE_SIZE,
                    "memory contents of " + contents.length + " bytes for " + ms.getPages() + " pages");
            instance.memory.adopt(contents, ms.getPages());
            return;
        }
        instance.memory.resetTo(ms.getPages());
        byte[] bytes = instance.memory.bytes;
        for (MemoryPage page : ms.getDataList()) {
            check(
                    page.getIndex() < ms.getPages(),
                    "memory page " + page.getIndex() + " beyond " + ms.getPages() + " pages");
            check(
                    page.getBytes().size() == MemoryInstance.PAGE_SIZE,
                    "memory page " + page.getIndex() + " has " + page.getBytes().size() + " bytes");
            page.getBytes().copyTo(bytes, page.getIndex() * MemoryInstance.PAGE_SIZE);
        }
    }

    private static void restoreGlobals(CompiledModule module, Instance instance, ExecutionState state) {
        int defined = instance.globals.length - module.importedGlobals;
        check(
                state.getGlobalsCount() == defined,
                "state has " + state.getGlobalsCount() + " globals, module defines " + defined);
        for (int i = 0; i < defined; i++) {
            GlobalInstance g = instance.globals[module.importedGlobals + i];
            g.value = slot(instance, g.type, state.getGlobals(i).getValue(), "global " + (module.importedGlobals + i));
        }
    }

    private static void restoreTables(CompiledModule module, Instance instance, ExecutionState state) {
        int defined = instance.tables.length - module.importedTables;
        check(
                state.getTablesCount() == defined,
                "state has " + state.getTablesCount() + " tables, module defines " + defined);
        for (int i = 0; i < defined; i++) {
            TableInstance t = instance.tables[module.importedTables + i];
            TableState ts = state.getTables(i);
            check(ts.getSize() <= t.max(), "table " + i + " size " + ts.getSize() + " exceeds its maximum");
            t.elements = new long[ts.getSize()];
            Arrays.fill(t.elements, ValueTypes.NULL_REF);
            for (TableEntry e : ts.getEntriesList()) {
                check(e.getIndex() < ts.getSize(), "table entry " + e.getIndex() + " beyond size " + ts.getSize());
                t.elements[e.getIndex()] = slot(instance, t.elementType, e.getValue(), "table " + i + " entry");
            }
        }
    }

    private static void restoreFrames(CompiledModule module, Instance instance, Machine m, List<Frame> frames) {
        check(!frames.isEmpty(), "a suspended state needs at least one frame");
        check(
                frames.size() <= m.limits.maxCallDepth(),
                "state has " + frames.size() + " frames, more than the call depth limit");
        m.ensureFrames(frames.size() - 1);
        int fp = 0;
        for (int i = 0; i < frames.size(); i++) {
            Frame f = frames.get(i);
            String where = "frame " + i;
            int index = f.getFunctionIndex();
            check(
                    index >= module.importedFunctions && index < module.functionCount(),
                    where + ": function " + index + " is not defined by the module");
            WasmFunction w = (WasmFunction) instance.functions[index];
            CompiledFunction c = w.code;
            int pc = c.pcOf(f.getOffset());
            if (pc < 0) {
                // Another writer may stop between two instructions we fused: this frame alone then
                // runs unfused code of the same function, which has an op at every instruction.
                c = new FunctionCompiler(module.types, false)
                        .compile(index, module.wasm.codeSection().getFunctionBody(index - module.importedFunctions));
                w = new WasmFunction(instance, c);
                pc = c.pcOf(f.getOffset());
            }
            check(
                    pc >= 0,
                    where + ": offset " + f.getOffset() + " is not an instruction boundary of function " + index);
            FunctionCompiler.Probe probe = probe(module, c, f.getOffset());
            check(probe != null, where + ": offset " + f.getOffset() + " is unreachable code");
            boolean innermost = i == frames.size() - 1;
            int consumed = 0;
            int returnPc = 0;
            if (!innermost) {
                int op = c.code[pc];
                int callee = frames.get(i + 1).getFunctionIndex();
                check(callee < module.functionCount(), where + ": callee " + callee + " does not exist");
                if (op == Op.CALL) {
                    check(
                            c.code[pc + 1] == callee,
                            where + ": the call at offset " + f.getOffset() + " does not call function " + callee);
                    returnPc = pc + 2;
                } else {
                    check(
                            op == Op.CALL_INDIRECT
                                    && instance.typeIds[c.code[pc + 1]] == instance.functions[callee].typeId,
                            where + ": offset " + f.getOffset() + " is not a call of function " + callee);
                    returnPc = pc + 3;
                    consumed = 1; // the table index
                }
                consumed += instance.functions[callee].params.length;
            }
            check(
                    f.getLocalsCount() == c.localTypes.length,
                    where + ": " + f.getLocalsCount() + " locals, function " + index + " has " + c.localTypes.length);
            int operands = probe.operandTypes.length - consumed;
            check(
                    f.getOperandsCount() == operands,
                    where + ": " + f.getOperandsCount() + " operands, offset " + f.getOffset() + " has " + operands);
            check(
                    f.getLabelsCount() == probe.labels.size(),
                    where + ": label count does not match offset " + f.getOffset());
            for (int l = 0; l < probe.labels.size(); l++) {
                int[] expect = probe.labels.get(l);
                Label got = f.getLabels(l);
                int kind = expect[0] == FunctionCompiler.KIND_ELSE ? 4 : expect[0];
                check(
                        got.getKindValue() == kind
                                && got.getStartOffset() == expect[1]
                                && got.getArity() == expect[2]
                                && got.getHeight() == expect[3],
                        where + ": label " + l + " does not match offset " + f.getOffset());
            }
            long[] s = m.ensureStack(fp + c.frameSize + consumed);
            for (int l = 0; l < c.localTypes.length; l++) {
                s[fp + l] = slot(instance, c.localTypes[l], f.getLocals(l), where + " local " + l);
            }
            int base = fp + c.localTypes.length;
            for (int o = 0; o < operands; o++) {
                s[base + o] = slot(instance, probe.operandTypes[o], f.getOperands(o), where + " operand " + o);
            }
            int sp = base + operands;
            if (innermost) {
                m.fn = w;
                m.pc = pc;
                m.fp = fp;
                m.sp = sp;
                m.depth = i;
            } else {
                m.frames[2 * i] = returnPc;
                m.frames[2 * i + 1] = fp;
                m.frameFunctions[i] = w;
                fp = sp; // the callee's frame starts where its arguments were
            }
        }
        m.status = Machine.Status.SUSPENDED;
    }

    private static long slot(Instance instance, byte type, Value v, String where) {
        switch (type) {
            case ValueTypes.I32:
                check(v.hasI32(), where + ": expected an i32, found " + v.getKindCase());
                return v.getI32();
            case ValueTypes.I64:
                check(v.hasI64(), where + ": expected an i64, found " + v.getKindCase());
                return v.getI64();
            case ValueTypes.F32:
                check(v.hasF32(), where + ": expected an f32, found " + v.getKindCase());
                return v.getF32();
            case ValueTypes.F64:
                check(v.hasF64(), where + ": expected an f64, found " + v.getKindCase());
                return v.getF64();
            case ValueTypes.FUNCREF: {
                check(v.hasFuncref(), where + ": expected a funcref, found " + v.getKindCase());
                RefValue r = v.getFuncref();
                if (r.getIsNull()) {
                    return ValueTypes.NULL_REF;
                }
                check(
                        r.getIndex() < instance.functions.length,
                        where + ": function " + r.getIndex() + " does not exist");
                return instance.functions[(int) r.getIndex()].handle;
            }
            default: {
                check(v.hasExternref(), where + ": expected an externref, found " + v.getKindCase());
                RefValue r = v.getExternref();
                return r.getIsNull() ? ValueTypes.NULL_REF : r.getIndex();
            }
        }
    }
}
