package pm.runtime.interp;

/** The module-wide types a function body refers to: the index spaces the compiler resolves against. */
final class ModuleTypes {
    final byte[][] typeParams; // by type index
    final byte[][] typeResults;
    final int[] functionTypes; // type index of every function, imports first
    final byte[] globalTypes; // imports first
    final boolean[] globalMutable;
    final byte[] tableTypes; // imports first

    ModuleTypes(
            byte[][] typeParams,
            byte[][] typeResults,
            int[] functionTypes,
            byte[] globalTypes,
            boolean[] globalMutable,
            byte[] tableTypes) {
        this.typeParams = typeParams;
        this.typeResults = typeResults;
        this.functionTypes = functionTypes;
        this.globalTypes = globalTypes;
        this.globalMutable = globalMutable;
        this.tableTypes = tableTypes;
    }
}
