package pm.runtime.interp;

/** A function value of a store: a WebAssembly function of some instance, or a host function. */
public abstract class FunctionRef {
    final byte[] params;
    final byte[] results;
    int handle = -1;
    int typeId = -1;
    Store store; // the one store this function belongs to

    FunctionRef(byte[] params, byte[] results) {
        this.params = params;
        this.results = results;
    }

    public byte[] params() {
        return params.clone();
    }

    public byte[] results() {
        return results.clone();
    }
}
