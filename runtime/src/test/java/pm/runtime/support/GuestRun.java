package pm.runtime.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import pm.runtime.image.StateBlob;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Instance;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.interp.Snapshots;
import pm.runtime.interp.Store;

/**
 * Runs a WASI command module (its {@code _start}) on our interpreter, optionally stopping at given
 * instruction counts to capture the state, encode it, and restore it into a brand-new store,
 * instance and machine before going on.
 */
public final class GuestRun {
    public static final Path GUEST_DIR = Paths.get("src", "test", "guest");

    /** What a run produced. */
    public record Outcome(String stdout, int exitCode, long instructions, int roundTrips) {}

    private GuestRun() {}

    public static byte[] wasm(String name) throws IOException {
        return Files.readAllBytes(GUEST_DIR.resolve("wasm").resolve(name + ".wasm"));
    }

    public static String expected(String name) throws IOException {
        return Files.readString(GUEST_DIR.resolve("expected").resolve(name + ".out"));
    }

    public static Outcome run(CompiledModule module, List<String> args, byte[] stdin) {
        return run(module, args, stdin, new long[0]);
    }

    /** {@code count} stop points drawn uniformly from [1, instructions) with {@code seed}. */
    public static long[] stopPoints(long instructions, int count, long seed) {
        Random random = new Random(seed);
        TreeSet<Long> points = new TreeSet<>();
        while (points.size() < count && points.size() < instructions - 1) {
            points.add(1 + (long) (random.nextDouble() * (instructions - 1)));
        }
        return points.stream().mapToLong(Long::longValue).toArray();
    }

    /** Runs to completion, with a capture/restore round trip at each (sorted) instruction count. */
    public static Outcome run(CompiledModule module, List<String> args, byte[] stdin, long[] stopAt) {
        TestWasiHost host = new TestWasiHost(args, stdin);
        Store store = new Store();
        Instance instance = Instance.instantiate(module, host.importsFor(module), store, Limits.DEFAULT);
        Machine machine = new Machine(store, Limits.DEFAULT);
        machine.start(instance.function("_start"));
        int exit = 0;
        int trips = 0;
        try {
            for (long point : stopAt) {
                long budget = point - machine.instructionsRetired();
                Machine.RunResult r = machine.run(budget);
                if (r == Machine.RunResult.COMPLETED) {
                    break;
                }
                byte[] blob = StateBlob.encode(Snapshots.capture(instance, machine));
                Store fresh = new Store();
                Snapshots.Restored restored =
                        Snapshots.restore(module, StateBlob.decode(blob), host.importsFor(module), fresh, Limits.DEFAULT);
                instance = restored.instance();
                machine = restored.machine();
                trips++;
            }
            if (machine.status() == Machine.Status.SUSPENDED) {
                machine.run(Long.MAX_VALUE);
            }
        } catch (TestWasiHost.Exit e) {
            exit = e.code;
        }
        return new Outcome(host.stdoutText(), exit, machine.instructionsRetired(), trips);
    }
}
