package pm.runtime.interp;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.ActiveElement;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.DeclarativeElement;
import com.dylibso.chicory.wasm.types.Element;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.GlobalImport;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.MemoryImport;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.TableImport;
import com.dylibso.chicory.wasm.types.TableLimits;
import java.util.Arrays;
import java.util.List;
import pm.runtime.LinkException;

/**
 * A module instance: its function index space, memory, tables, globals and the segments still
 * available to bulk instructions. Memory, tables and globals may be shared with other instances of
 * the same store through imports. Confined to the thread running the store.
 */
public final class Instance {
    final CompiledModule module;
    final Store store;
    final FunctionRef[] functions;
    final MemoryInstance memory; // null if the module has none
    final TableInstance[] tables;
    final GlobalInstance[] globals;
    final int[] typeIds; // canonical store type id per type index
    final byte[][] dataSegments; // null once dropped
    final long[][] elementSegments; // null once dropped
    /** The compiled code attached (see JitBridge), for re-entering it on resume; null if none. */
    JitCompiler.JitModule jit;
    /** Whether that code was attached for good, whatever the dirty log wants (tests and benchmarks). */
    boolean jitPinned;

    private Instance(CompiledModule module, Store store, Imports imports, int memoryPageLimit) {
        this.module = module;
        this.store = store;
        ModuleTypes types = module.types;
        WasmModule wasm = module.wasm;
        this.typeIds = new int[types.typeParams.length];
        for (int i = 0; i < typeIds.length; i++) {
            typeIds[i] = store.typeId(types.typeParams[i], types.typeResults[i]);
        }
        this.functions = new FunctionRef[types.functionTypes.length];
        this.globals = new GlobalInstance[types.globalTypes.length];
        this.tables = new TableInstance[types.tableTypes.length];
        MemoryInstance mem = null;
        int fi = 0;
        int gi = 0;
        int ti = 0;
        for (Import imp : module.imports()) {
            Object ext = imports.resolve(imp.module(), imp.name());
            String what = "\"" + imp.module() + "\" \"" + imp.name() + "\"";
            if (ext == null) {
                throw new LinkException("unknown import " + what);
            }
            switch (imp.importType()) {
                case FUNCTION: {
                    int t = ((FunctionImport) imp).typeIndex();
                    if (!(ext instanceof FunctionRef)
                            || !Arrays.equals(((FunctionRef) ext).params, types.typeParams[t])
                            || !Arrays.equals(((FunctionRef) ext).results, types.typeResults[t])) {
                        throw incompatible(what);
                    }
                    store.register((FunctionRef) ext);
                    functions[fi++] = (FunctionRef) ext;
                    break;
                }
                case GLOBAL: {
                    GlobalImport g = (GlobalImport) imp;
                    if (!(ext instanceof GlobalInstance)
                            || ((GlobalInstance) ext).type != ValueTypes.of(g.type())
                            || ((GlobalInstance) ext).mutable != (g.mutabilityType() == MutabilityType.Var)) {
                        throw incompatible(what);
                    }
                    globals[gi++] = (GlobalInstance) ext;
                    break;
                }
                case TABLE: {
                    TableImport t = (TableImport) imp;
                    if (!(ext instanceof TableInstance)) {
                        throw incompatible(what);
                    }
                    TableInstance table = (TableInstance) ext;
                    TableLimits l = t.limits();
                    if (table.elementType != ValueTypes.of(t.entryType())
                            || table.size() < l.min()
                            || table.max() > tableMax(l)) {
                        throw incompatible(what);
                    }
                    tables[ti++] = table;
                    break;
                }
                case MEMORY: {
                    MemoryLimits l = ((MemoryImport) imp).limits();
                    if (!(ext instanceof MemoryInstance)) {
                        throw incompatible(what);
                    }
                    MemoryInstance m = (MemoryInstance) ext;
                    if (m.pages() < l.initialPages() || m.declaredMax() > l.maximumPages()) {
                        throw incompatible(what);
                    }
                    mem = m;
                    break;
                }
                default:
                    throw incompatible(what);
            }
        }
        for (int i = fi; i < functions.length; i++) {
            functions[i] = new WasmFunction(this, module.function(i));
            store.register(functions[i]);
        }
        var definedGlobals = wasm.globalSection().globals();
        for (int i = 0; i < definedGlobals.length; i++) {
            var g = definedGlobals[i];
            globals[gi + i] = new GlobalInstance(
                    ValueTypes.of(g.valueType()),
                    g.mutabilityType() == MutabilityType.Var,
                    evalConst(g.initInstructions()));
        }
        for (int i = 0; i < wasm.tableSection().tableCount(); i++) {
            var t = wasm.tableSection().getTable(i);
            TableInstance table = new TableInstance(
                    ValueTypes.of(t.elementType()), (int) t.limits().min(), tableMax(t.limits()));
            if (t.initialize() != null && !t.initialize().isEmpty()) {
                Arrays.fill(table.elements, evalConst(t.initialize()));
            }
            tables[ti + i] = table;
        }
        if (wasm.memorySection().isPresent() && wasm.memorySection().get().memoryCount() > 0) {
            MemoryLimits l = wasm.memorySection().get().getMemory(0).limits();
            mem = new MemoryInstance(l.initialPages(), l.maximumPages(), memoryPageLimit);
        }
        this.memory = mem;
        Element[] elements = wasm.elementSection().elements();
        this.elementSegments = new long[elements.length][];
        for (int i = 0; i < elements.length; i++) {
            List<List<Instruction>> inits = elements[i].initializers();
            long[] refs = new long[inits.size()];
            for (int j = 0; j < refs.length; j++) {
                refs[j] = evalConst(inits.get(j));
            }
            elementSegments[i] = refs;
        }
        DataSegment[] data = wasm.dataSection().dataSegments();
        this.dataSegments = new byte[data.length][];
        for (int i = 0; i < data.length; i++) {
            dataSegments[i] = data[i].data();
        }
    }

    private static long tableMax(TableLimits l) {
        return l.max() < 0 ? 0xFFFF_FFFFL : Math.min(l.max(), 0xFFFF_FFFFL);
    }

    private static LinkException incompatible(String what) {
        return new LinkException("incompatible import type for " + what);
    }

    /**
     * Links, initialises tables and memory from active segments, and runs the start function.
     * Segment writes that fit before a failing one stay, as the specification requires.
     */
    public static Instance instantiate(CompiledModule module, Imports imports, Store store, Limits limits) {
        Instance instance = new Instance(module, store, imports, limits.memoryPages());
        instance.applyActiveSegments();
        module.wasm
                .startSection()
                .ifPresent(s -> new Machine(store, limits).invoke(instance.functions[(int) s.startIndex()]));
        return instance;
    }

    /** Creates the instance without running segments or the start function: the state will be restored. */
    static Instance forRestore(CompiledModule module, Imports imports, Store store, Limits limits) {
        return new Instance(module, store, imports, limits.memoryPages());
    }

    private void applyActiveSegments() {
        Element[] elements = module.wasm.elementSection().elements();
        for (int i = 0; i < elements.length; i++) {
            if (elements[i] instanceof ActiveElement) {
                ActiveElement e = (ActiveElement) elements[i];
                int offset = (int) evalConst(e.offset());
                Bulk.tableInit(this, null, e.tableIndex(), i, offset, 0, elementSegments[i].length);
                elementSegments[i] = null;
            } else if (elements[i] instanceof DeclarativeElement) {
                elementSegments[i] = null;
            }
        }
        DataSegment[] data = module.wasm.dataSection().dataSegments();
        for (int i = 0; i < data.length; i++) {
            if (data[i] instanceof ActiveDataSegment) {
                int offset = (int) evalConst(((ActiveDataSegment) data[i]).offsetInstructions());
                Bulk.memoryInit(this, null, i, offset, 0, dataSegments[i].length);
                dataSegments[i] = null;
            }
        }
    }

    private long evalConst(List<Instruction> expr) {
        long[] stack = new long[8];
        int sp = 0;
        for (Instruction ins : expr) {
            switch (ins.opcode()) {
                case I32_CONST:
                case I64_CONST:
                case F32_CONST:
                case F64_CONST:
                    stack[sp++] = ins.operand(0);
                    break;
                case REF_NULL:
                    stack[sp++] = ValueTypes.NULL_REF;
                    break;
                case REF_FUNC:
                    stack[sp++] = functions[(int) ins.operand(0)].handle;
                    break;
                case GLOBAL_GET:
                    stack[sp++] = globals[(int) ins.operand(0)].value;
                    break;
                case I32_ADD:
                    sp--;
                    stack[sp - 1] = (int) stack[sp - 1] + (int) stack[sp];
                    break;
                case I32_SUB:
                    sp--;
                    stack[sp - 1] = (int) stack[sp - 1] - (int) stack[sp];
                    break;
                case I32_MUL:
                    sp--;
                    stack[sp - 1] = (int) stack[sp - 1] * (int) stack[sp];
                    break;
                case I64_ADD:
                    sp--;
                    stack[sp - 1] = stack[sp - 1] + stack[sp];
                    break;
                case I64_SUB:
                    sp--;
                    stack[sp - 1] = stack[sp - 1] - stack[sp];
                    break;
                case I64_MUL:
                    sp--;
                    stack[sp - 1] = stack[sp - 1] * stack[sp];
                    break;
                case END:
                    break;
                default:
                    throw new LinkException("unsupported constant instruction " + ins.opcode());
            }
        }
        return stack[0];
    }

    public CompiledModule module() {
        return module;
    }

    public Store store() {
        return store;
    }

    /** The memory, or null if the module has none. */
    public MemoryInstance memory() {
        return memory;
    }

    /** An export by name: a {@link FunctionRef}, {@link MemoryInstance}, {@link TableInstance} or {@link GlobalInstance}. */
    public Object export(String name) {
        Export e = module.exports().get(name);
        if (e == null) {
            return null;
        }
        switch (e.exportType()) {
            case FUNCTION:
                return functions[e.index()];
            case MEMORY:
                return memory;
            case TABLE:
                return tables[e.index()];
            case GLOBAL:
                return globals[e.index()];
            default:
                return null;
        }
    }

    /** An exported function, or null. */
    public FunctionRef function(String name) {
        Object o = export(name);
        return o instanceof FunctionRef ? (FunctionRef) o : null;
    }

    /** The index of {@code f} in this instance's function index space, or -1. */
    int indexOf(FunctionRef f) {
        for (int i = 0; i < functions.length; i++) {
            if (functions[i] == f) {
                return i;
            }
        }
        return -1;
    }
}
