package pm.runtime.demo;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
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
import pm.runtime.wasi.OutputSink;
import pm.runtime.wasi.ProcessExit;
import pm.runtime.wasi.WasiPreview1;
import pm.runtime.wasi.WasiSession;
import pm.v1.WasiState;

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

        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        OutputSink stdout = (b, o, l) -> {
            System.out.write(b, o, l);
            printed.write(b, o, l);
        };
        WasiSession session =
                WasiSession.builder().args(List.of(name)).stdout(stdout).build();
        Store store = new Store();
        Instance instance = Instance.instantiate(module, new WasiPreview1(session).imports(), store, Limits.DEFAULT);
        Machine machine = new Machine(store, Limits.DEFAULT);
        machine.start(instance.function("_start"));
        int restores = 0;
        try {
            while (machine.run(slice) == Machine.RunResult.OUT_OF_FUEL) {
                System.out.flush();
                Path file = dir.resolve("state-" + restores + ".bin");
                Path wasi = dir.resolve("wasi-" + restores + ".bin");
                Files.write(file, StateBlob.encode(Snapshots.capture(instance, machine)));
                Files.write(wasi, session.capture().toByteArray());
                session = WasiSession.builder()
                        .stdout(stdout)
                        .restore(WasiState.parseFrom(Files.readAllBytes(wasi)), 1 << 20);
                Snapshots.Restored r = Snapshots.restore(
                        module,
                        StateBlob.decode(Files.readAllBytes(file)),
                        new WasiPreview1(session).imports(),
                        new Store(),
                        Limits.DEFAULT);
                instance = r.instance();
                machine = r.machine();
                restores++;
                System.out.printf(
                        "  [frozen at instruction %d, state %d KiB -> %s, restored into a new machine]%n",
                        machine.instructionsRetired(), Files.size(file) / 1024, file.getFileName());
            }
        } catch (ProcessExit e) {
            System.out.println("  [guest exited with " + e.status() + "]");
        }
        boolean same = printed.toString(StandardCharsets.UTF_8).equals(GuestRun.expected(name));
        System.out.printf(
                "%d freeze/restore round trips; output %s the native build's%n",
                restores, same ? "identical to" : "DIFFERENT FROM");
        System.exit(same ? 0 : 1);
    }
}
