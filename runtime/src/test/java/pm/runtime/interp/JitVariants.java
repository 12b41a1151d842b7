package pm.runtime.interp;

/**
 * For benchmarks outside this package: compiled code of a module made with or without the
 * dirty-page marks of stores, attached to an instance directly (not through the code cache), so
 * that one JVM can run both and compare them.
 */
public final class JitVariants {
    private JitVariants() {}

    /** The module's compiled code, with its stores marking pages dirty or not. */
    public static Object compile(CompiledModule module, boolean storeBarrier) {
        return JitCompiler.load(JitCompiler.generate(module, JitRegions.LIMIT, storeBarrier));
    }

    /** Gives the instance's functions that code (made by {@link #compile}); before its first run. */
    public static void attach(Instance instance, Object code) {
        JitBridge.attach(instance, (JitCompiler.JitModule) code);
    }
}
