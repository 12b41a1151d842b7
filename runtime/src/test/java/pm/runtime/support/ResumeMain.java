package pm.runtime.support;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import pm.runtime.image.StateBlob;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.interp.Snapshots;
import pm.runtime.interp.Store;
import pm.runtime.wasi.ProcessExit;
import pm.runtime.wasi.WasiPreview1;
import pm.runtime.wasi.WasiSession;

/**
 * Second-JVM half of the cross-process test: {@code ResumeMain <module.wasm> <state.bin> args...}
 * restores the state with only the module bytes and the file, runs to the end, and prints what the
 * guest writes to stdout from then on. Exits with the guest's exit code.
 */
public final class ResumeMain {
    private ResumeMain() {}

    public static void main(String[] argv) throws Exception {
        CompiledModule module = CompiledModule.compile(Files.readAllBytes(Paths.get(argv[0])));
        List<String> args = Arrays.asList(argv).subList(2, argv.length);
        // No files or stdin: a fresh session with the same args holds the same descriptors.
        WasiSession session = WasiSession.builder()
                .args(args)
                .stdout((b, o, l) -> System.out.write(b, o, l))
                .build();
        Snapshots.Restored restored = Snapshots.restore(
                module,
                StateBlob.decode(Files.readAllBytes(Paths.get(argv[1]))),
                new WasiPreview1(session).imports(),
                new Store(),
                Limits.DEFAULT);
        int exit = 0;
        try {
            Machine.RunResult r = restored.machine().run(Long.MAX_VALUE);
            if (r != Machine.RunResult.COMPLETED) {
                throw new IllegalStateException("guest stopped with " + r);
            }
        } catch (ProcessExit e) {
            exit = e.status();
        }
        System.out.flush();
        System.exit(exit);
    }
}
