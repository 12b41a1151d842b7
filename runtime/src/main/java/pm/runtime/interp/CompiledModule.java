package pm.runtime.interp;

import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.InvalidException;
import com.dylibso.chicory.wasm.MalformedException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.UnlinkableException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.GlobalImport;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.TableImport;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import pm.runtime.InvalidModuleException;
import pm.runtime.MalformedModuleException;

/**
 * A parsed, validated and pre-decoded module: immutable, shareable by any number of instances and
 * threads. Chicory parses and validates; {@link FunctionCompiler} produces the code we execute.
 */
public final class CompiledModule {
    final WasmModule wasm;
    final ModuleTypes types;
    final int importedFunctions;
    final int importedGlobals;
    final int importedTables;
    final int importedMemories;
    final CompiledFunction[] functions; // defined functions only, by (index - importedFunctions)
    private final byte[] sha256;
    private final Map<String, Export> exports;
    private final JitCache codeCache;

    private CompiledModule(WasmModule wasm, byte[] sha256, JitCache codeCache) {
        this.wasm = wasm;
        this.sha256 = sha256;
        this.codeCache = codeCache;
        int fi = 0;
        int gi = 0;
        int ti = 0;
        int mi = 0;
        List<Integer> funcTypes = new ArrayList<>();
        List<Byte> globalTypes = new ArrayList<>();
        List<Boolean> globalMutable = new ArrayList<>();
        List<Byte> tableTypes = new ArrayList<>();
        for (int i = 0; i < wasm.importSection().importCount(); i++) {
            Import imp = wasm.importSection().getImport(i);
            switch (imp.importType()) {
                case FUNCTION:
                    funcTypes.add(((FunctionImport) imp).typeIndex());
                    fi++;
                    break;
                case GLOBAL:
                    globalTypes.add(ValueTypes.of(((GlobalImport) imp).type()));
                    globalMutable.add(((GlobalImport) imp).mutabilityType() == MutabilityType.Var);
                    gi++;
                    break;
                case TABLE:
                    tableTypes.add(ValueTypes.of(((TableImport) imp).entryType()));
                    ti++;
                    break;
                case MEMORY:
                    mi++;
                    break;
                default:
                    throw new InvalidModuleException("unsupported import kind " + imp.importType());
            }
        }
        importedFunctions = fi;
        importedGlobals = gi;
        importedTables = ti;
        importedMemories = mi;
        for (int i = 0; i < wasm.functionSection().functionCount(); i++) {
            funcTypes.add(wasm.functionSection().getFunctionType(i));
        }
        for (var g : wasm.globalSection().globals()) {
            globalTypes.add(ValueTypes.of(g.valueType()));
            globalMutable.add(g.mutabilityType() == MutabilityType.Var);
        }
        for (int i = 0; i < wasm.tableSection().tableCount(); i++) {
            tableTypes.add(ValueTypes.of(wasm.tableSection().getTable(i).elementType()));
        }
        FunctionType[] typeSection = wasm.typeSection().types();
        byte[][] params = new byte[typeSection.length][];
        byte[][] results = new byte[typeSection.length][];
        for (int i = 0; i < typeSection.length; i++) {
            params[i] = ValueTypes.of(typeSection[i].params());
            results[i] = ValueTypes.of(typeSection[i].returns());
        }
        boolean[] mutable = new boolean[globalMutable.size()];
        for (int i = 0; i < mutable.length; i++) {
            mutable[i] = globalMutable.get(i);
        }
        this.types = new ModuleTypes(
                params,
                results,
                funcTypes.stream().mapToInt(Integer::intValue).toArray(),
                toBytes(globalTypes),
                mutable,
                toBytes(tableTypes));
        this.functions = new CompiledFunction[wasm.functionSection().functionCount()];
        for (int i = 0; i < functions.length; i++) {
            functions[i] = new FunctionCompiler(types)
                    .compile(fi + i, wasm.codeSection().getFunctionBody(i));
        }
        Map<String, Export> ex = new LinkedHashMap<>();
        for (int i = 0; i < wasm.exportSection().exportCount(); i++) {
            Export e = wasm.exportSection().getExport(i);
            ex.put(e.name(), e);
        }
        this.exports = Collections.unmodifiableMap(ex);
    }

    /**
     * Parses, validates and pre-decodes; throws {@link MalformedModuleException} or {@link InvalidModuleException}.
     * Its compiled tier's code comes from the JVM's code cache.
     */
    public static CompiledModule compile(byte[] bytes) {
        return compile(bytes, JitBridge.CACHE);
    }

    /** As {@link #compile(byte[])}, its compiled tier's code made in and kept by {@code codeCache}. */
    public static CompiledModule compile(byte[] bytes, JitCache codeCache) {
        java.util.Objects.requireNonNull(codeCache, "codeCache");
        WasmModule wasm;
        try {
            wasm = Parser.parse(bytes);
        } catch (MalformedException e) {
            throw new MalformedModuleException("malformed module: " + e.getMessage(), e);
        } catch (InvalidException | UnlinkableException e) {
            throw new InvalidModuleException("invalid module: " + e.getMessage(), e);
        } catch (ChicoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new MalformedModuleException("malformed module: " + e.getMessage(), e);
        }
        ModuleChecks.validate(wasm);
        return new CompiledModule(wasm, digest(bytes), codeCache);
    }

    static byte[] digest(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] toBytes(List<Byte> list) {
        byte[] out = new byte[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(i);
        }
        return out;
    }

    /** Where its compiled tier's code is made and kept. */
    JitCache codeCache() {
        return codeCache;
    }

    /** SHA-256 of the module bytes: the module's identity in states and images. */
    public byte[] sha256() {
        return sha256.clone();
    }

    public Map<String, Export> exports() {
        return exports;
    }

    /** Imports in declaration order, as (module, name, kind). */
    public List<Import> imports() {
        List<Import> out = new ArrayList<>();
        for (int i = 0; i < wasm.importSection().importCount(); i++) {
            out.add(wasm.importSection().getImport(i));
        }
        return out;
    }

    /** Parameter types of a type-section entry. */
    public byte[] typeParams(int typeIndex) {
        return types.typeParams[typeIndex].clone();
    }

    /** Result types of a type-section entry. */
    public byte[] typeResults(int typeIndex) {
        return types.typeResults[typeIndex].clone();
    }

    public int functionCount() {
        return types.functionTypes.length;
    }

    /**
     * Compiles the module for the compiled tier now, on this thread, instead of at the first run
     * of a machine in that tier (the code is cached per module hash). Returns how many of its
     * defined functions have compiled code; the others stay interpreted.
     */
    public int compileTier() {
        JitCompiler.JitModule jm = codeCache().compiled(this, false);
        if (jm == null) {
            return 0;
        }
        int n = 0;
        for (boolean c : jm.compiled) {
            n += c ? 1 : 0;
        }
        return n;
    }

    /** The number of functions the module defines. */
    public int definedFunctionCount() {
        return functions.length;
    }

    CompiledFunction function(int index) {
        return functions[index - importedFunctions];
    }
}
