package pm.runtime.interp;

/** A host function with its WebAssembly signature, ready to be imported. */
public final class HostFunctionRef extends FunctionRef {
    final String name;
    final HostFunction implementation;

    public HostFunctionRef(String name, byte[] params, byte[] results, HostFunction implementation) {
        super(params.clone(), results.clone());
        this.name = name;
        this.implementation = implementation;
    }

    public String name() {
        return name;
    }
}
