package pm.runtime.spec;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import pm.runtime.interp.GlobalInstance;
import pm.runtime.interp.HostFunctionRef;
import pm.runtime.interp.Imports;
import pm.runtime.interp.Instance;
import pm.runtime.interp.MemoryInstance;
import pm.runtime.interp.Store;
import pm.runtime.interp.TableInstance;
import pm.runtime.interp.ValueTypes;

/** The instances of one spec script: the spectest host module, named and registered instances. */
final class SpecWorld {
    final Store store = new Store();
    final Map<String, Instance> named = new HashMap<>();
    final Map<String, Instance> registered = new HashMap<>();
    final Map<Instance, Imports> importsOf = new HashMap<>();
    final Set<Instance> shared = new HashSet<>();
    Instance current;
    private final Imports spectest;

    SpecWorld() {
        Imports.Builder b = Imports.builder();
        byte i32 = ValueTypes.I32;
        byte i64 = ValueTypes.I64;
        byte f32 = ValueTypes.F32;
        byte f64 = ValueTypes.F64;
        b.function("spectest", "print", host(new byte[0]));
        b.function("spectest", "print_i32", host(new byte[] {i32}));
        b.function("spectest", "print_i64", host(new byte[] {i64}));
        b.function("spectest", "print_f32", host(new byte[] {f32}));
        b.function("spectest", "print_f64", host(new byte[] {f64}));
        b.function("spectest", "print_i32_f32", host(new byte[] {i32, f32}));
        b.function("spectest", "print_f64_f64", host(new byte[] {f64, f64}));
        b.global("spectest", "global_i32", new GlobalInstance(i32, false, 666));
        b.global("spectest", "global_i64", new GlobalInstance(i64, false, 666));
        b.global("spectest", "global_f32", new GlobalInstance(f32, false, Float.floatToRawIntBits(666.6f)));
        b.global("spectest", "global_f64", new GlobalInstance(f64, false, Double.doubleToRawLongBits(666.6)));
        b.table("spectest", "table", new TableInstance(ValueTypes.FUNCREF, 10, 20));
        b.memory("spectest", "memory", new MemoryInstance(1, 2, MemoryInstance.MAX_PAGES));
        spectest = b.build();
    }

    private static HostFunctionRef host(byte[] params) {
        return new HostFunctionRef("print", params, new byte[0], (caller, args) -> new long[0]);
    }

    /** Imports as they stand now: spectest plus every registered instance under its alias. */
    Imports imports() {
        Imports.Builder b = Imports.builder().all(spectest);
        registered.forEach((alias, instance) -> b.instance(alias, instance));
        return b.build();
    }

    /** Notes which registered instances a new module imports from: their state is now shared. */
    void markShared(Iterable<String> importedModules) {
        for (String m : importedModules) {
            Instance i = registered.get(m);
            if (i != null) {
                shared.add(i);
            }
        }
    }

    Instance resolve(String name) {
        return name == null ? current : named.get(name);
    }

    /** Replaces every reference to {@code old} by {@code fresh} (after a restore). */
    void replace(Instance old, Instance fresh) {
        named.replaceAll((k, v) -> v == old ? fresh : v);
        registered.replaceAll((k, v) -> v == old ? fresh : v);
        if (current == old) {
            current = fresh;
        }
        importsOf.put(fresh, importsOf.get(old));
    }
}
