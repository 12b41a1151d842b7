package pm.runtime.interp;

/** A function defined by a module, bound to the instance whose memory, tables and globals it uses. */
final class WasmFunction extends FunctionRef {
    final Instance instance;
    final CompiledFunction code;
    /** The module's compiled code, when this function has some and a compiled tier attached it; else null. */
    JitCode jit;

    WasmFunction(Instance instance, CompiledFunction code) {
        super(code.paramTypes, code.resultTypes);
        this.instance = instance;
        this.code = code;
    }
}
