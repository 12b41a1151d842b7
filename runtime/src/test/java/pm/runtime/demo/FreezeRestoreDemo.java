package pm.runtime.demo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import pm.runtime.image.StateBlob;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Instance;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.interp.Snapshots;
import pm.runtime.interp.Store;
import pm.runtime.support.GuestRun;
import pm.runtime.support.TestWasiHost;

/**
 * What exists so far, end to end: a C program compiled to WebAssembly runs on our interpreter and
 * is frozen every few million instructions; each time its state is written to a file, the machine
 * is thrown away, and a new instance and machine are built from the module bytes and that file.
 * The program's output must equal its native build's. Run with {@code ./pm demo [program] [freezes]}.
 */
public final class FreezeRestoreDemo {
    private FreezeRestoreDemo() {}

    public static void main(String[] args) throws Exception {
        String name = args.length > 0 ? args[0] : "float";
        int freezes = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        CompiledModule module = CompiledModule.compile(GuestRun.wasm(name));
        Path dir = Files.createTempDirectory("pm-demo");
        long total = GuestRun.run(module, List.of(name), new byte[0]).instructions();
        long slice = Math.max(1, total / (freezes + 1));
        System.out.printf("running %s.wasm (%d instructions), freezing every %d instructions%n", name, total, slice);

        TestWasiHost host = new TestWasiHost(List.of(name), new byte[0]);
        Store store = new Store();
        Instance instance = Instance.instantiate(module, host.importsFor(module), store, Limits.DEFAULT);
        Machine machine = new Machine(store, Limits.DEFAULT);
        machine.start(instance.function("_start"));
        int printed = 0;
        int restores = 0;
        try {
            while (machine.run(slice) == Machine.RunResult.OUT_OF_FUEL) {
                printed = flush(host, printed);
                Path file = dir.resolve("state-" + restores + ".bin");
                Files.write(file, StateBlob.encode(Snapshots.capture(instance, machine)));
                Snapshots.Restored r = Snapshots.restore(
                        module, StateBlob.decode(Files.readAllBytes(file)), host.importsFor(module), new Store(), Limits.DEFAULT);
                instance = r.instance();
                machine = r.machine();
                restores++;
                System.out.printf("  [frozen at instruction %d, state %d KiB -> %s, restored into a new machine]%n",
                        machine.instructionsRetired(), Files.size(file) / 1024, file.getFileName());
            }
        } catch (TestWasiHost.Exit e) {
            System.out.println("  [guest exited with " + e.code + "]");
        }
        flush(host, printed);
        boolean same = host.stdoutText().equals(GuestRun.expected(name));
        System.out.printf("%d freeze/restore round trips; output %s the native build's%n",
                restores, same ? "identical to" : "DIFFERENT FROM");
        System.exit(same ? 0 : 1);
    }

    private static int flush(TestWasiHost host, int printed) {
        String out = host.stdoutText();
        System.out.print(out.substring(printed));
        return out.length();
    }
}
