package pm.runtime.interp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The world a set of linked instances lives in: it numbers every function so references can be
 * plain longs, and interns function types so an indirect call checks its signature with one int
 * compare. One store per process; confined to the thread that instantiates and runs it.
 */
public final class Store {
    private final List<FunctionRef> functions = new ArrayList<>();
    private final Map<String, Integer> typeIds = new HashMap<>();

    /** Gives {@code f} its handle in this store (once) and returns it. */
    int register(FunctionRef f) {
        if (f.store != null && f.store != this) {
            throw new IllegalArgumentException("function already belongs to another store");
        }
        if (f.handle < 0) {
            f.store = this;
            f.typeId = typeId(f.params, f.results);
            f.handle = functions.size();
            functions.add(f);
        }
        return f.handle;
    }

    FunctionRef function(long handle) {
        return functions.get((int) handle);
    }

    int typeId(byte[] params, byte[] results) {
        String key = Arrays.toString(params) + "->" + Arrays.toString(results);
        return typeIds.computeIfAbsent(key, k -> typeIds.size());
    }
}
