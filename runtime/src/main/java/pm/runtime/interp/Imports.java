package pm.runtime.interp;

import java.util.HashMap;
import java.util.Map;

/**
 * What an instance may import, by module and name: host functions, other instances' exports, or
 * standalone memories, tables and globals. Immutable once built.
 */
public final class Imports {
    private final Map<String, Object> externs;

    private Imports(Map<String, Object> externs) {
        this.externs = Map.copyOf(externs);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static Imports none() {
        return new Imports(Map.of());
    }

    /** A function, memory, table or global, or null if nothing has that name. */
    Object resolve(String module, String name) {
        return externs.get(key(module, name));
    }

    private static String key(String module, String name) {
        return module + '\u0000' + name;
    }

    /** Collects externs; later additions with the same name replace earlier ones. */
    public static final class Builder {
        private final Map<String, Object> externs = new HashMap<>();

        public Builder function(String module, String name, FunctionRef f) {
            externs.put(key(module, name), f);
            return this;
        }

        public Builder memory(String module, String name, MemoryInstance m) {
            externs.put(key(module, name), m);
            return this;
        }

        public Builder table(String module, String name, TableInstance t) {
            externs.put(key(module, name), t);
            return this;
        }

        public Builder global(String module, String name, GlobalInstance g) {
            externs.put(key(module, name), g);
            return this;
        }

        /** Every export of {@code instance}, under {@code module}. */
        public Builder instance(String module, Instance instance) {
            for (String name : instance.module().exports().keySet()) {
                externs.put(key(module, name), instance.export(name));
            }
            return this;
        }

        public Builder all(Imports other) {
            externs.putAll(other.externs);
            return this;
        }

        public Imports build() {
            return new Imports(externs);
        }
    }
}
