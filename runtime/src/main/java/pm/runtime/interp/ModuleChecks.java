package pm.runtime.interp;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.Import;
import java.util.HashSet;
import java.util.Set;
import pm.runtime.InvalidModuleException;

/** Module-level validation rules that Chicory's validator does not enforce. */
final class ModuleChecks {
    private ModuleChecks() {}

    static void validate(WasmModule wasm) {
        int types = wasm.typeSection().typeCount();
        int functions = 0;
        int tables = 0;
        int memories = 0;
        int globals = 0;
        for (int i = 0; i < wasm.importSection().importCount(); i++) {
            Import imp = wasm.importSection().getImport(i);
            switch (imp.importType()) {
                case FUNCTION:
                    if (((FunctionImport) imp).typeIndex() >= types) {
                        throw new InvalidModuleException("unknown type " + ((FunctionImport) imp).typeIndex());
                    }
                    functions++;
                    break;
                case TABLE:
                    tables++;
                    break;
                case MEMORY:
                    memories++;
                    break;
                case GLOBAL:
                    globals++;
                    break;
                default:
                    throw new InvalidModuleException("unsupported import kind " + imp.importType());
            }
        }
        for (int i = 0; i < wasm.functionSection().functionCount(); i++) {
            int t = wasm.functionSection().getFunctionType(i);
            if (t >= types) {
                throw new InvalidModuleException("unknown type " + t);
            }
        }
        functions += wasm.functionSection().functionCount();
        tables += wasm.tableSection().tableCount();
        memories += wasm.memorySection().map(m -> m.memoryCount()).orElse(0);
        globals += wasm.globalSection().globalCount();
        if (memories > 1) {
            throw new InvalidModuleException("multiple memories");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < wasm.exportSection().exportCount(); i++) {
            Export e = wasm.exportSection().getExport(i);
            if (!names.add(e.name())) {
                throw new InvalidModuleException("duplicate export name \"" + e.name() + "\"");
            }
            int limit;
            String kind;
            switch (e.exportType()) {
                case FUNCTION:
                    limit = functions;
                    kind = "function";
                    break;
                case TABLE:
                    limit = tables;
                    kind = "table";
                    break;
                case MEMORY:
                    limit = memories;
                    kind = "memory";
                    break;
                case GLOBAL:
                    limit = globals;
                    kind = "global";
                    break;
                default:
                    throw new InvalidModuleException("unsupported export kind " + e.exportType());
            }
            if (e.index() < 0 || e.index() >= limit) {
                throw new InvalidModuleException("unknown " + kind + " " + e.index());
            }
        }
        for (var d : wasm.dataSection().dataSegments()) {
            if (d instanceof ActiveDataSegment && ((ActiveDataSegment) d).index() >= memories) {
                throw new InvalidModuleException("unknown memory " + ((ActiveDataSegment) d).index());
            }
        }
    }
}
