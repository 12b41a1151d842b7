package pm.runtime.support;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import pm.runtime.image.ImageReader;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.interp.Snapshots;
import pm.runtime.interp.Store;
import pm.runtime.wasi.InputSource;
import pm.runtime.wasi.ProcessExit;
import pm.runtime.wasi.WasiPreview1;
import pm.runtime.wasi.WasiSession;

/**
 * Second-JVM half of the image test: {@code ResumeImageMain <module.wasm> <image> <stdin-file>}
 * resumes a process image with fresh stdio bound to this JVM (stdout to System.out) and runs it to
 * the end. Exits with the guest's status.
 */
public final class ResumeImageMain {
    private ResumeImageMain() {}

    public static void main(String[] argv) throws Exception {
        CompiledModule module = CompiledModule.compile(Files.readAllBytes(Paths.get(argv[0])));
        ImageReader.Image image;
        try (InputStream in = Files.newInputStream(Paths.get(argv[1]))) {
            image = ImageReader.read(in, module.sha256());
        }
        WasiSession session = WasiSession.builder()
                .stdout((b, o, l) -> System.out.write(b, o, l))
                .stdin(InputSource.of(Files.readAllBytes(Paths.get(argv[2]))))
                .restore(image.wasi(), 64L << 20);
        Snapshots.Restored restored = Snapshots.restore(
                module, image.execution(), new WasiPreview1(session).imports(), new Store(), Limits.DEFAULT);
        int status = 0;
        try {
            while (restored.machine().run(Long.MAX_VALUE) == Machine.RunResult.BLOCKED) {
                LockSupport.parkNanos(Math.min(session.nanosUntilWake(), TimeUnit.SECONDS.toNanos(1)));
            }
        } catch (ProcessExit e) {
            status = e.status();
        }
        System.out.flush();
        System.exit(status);
    }
}
