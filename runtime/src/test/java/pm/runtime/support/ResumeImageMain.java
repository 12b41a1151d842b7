package pm.runtime.support;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.process.WasiProcess;
import pm.runtime.wasi.InputSource;
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
        WasiSession.Builder host = WasiSession.builder()
                .stdout((b, o, l) -> System.out.write(b, o, l))
                .stdin(InputSource.of(Files.readAllBytes(Paths.get(argv[2]))));
        WasiProcess process;
        try (InputStream in = Files.newInputStream(Paths.get(argv[1]))) {
            process = WasiProcess.restore(module, in, host, Limits.DEFAULT, 64L << 20);
        }
        while (process.run(Long.MAX_VALUE) == WasiProcess.State.SLEEPING) {
            LockSupport.parkNanos(Math.min(process.nanosUntilWake(), TimeUnit.SECONDS.toNanos(1)));
        }
        int status = process.state() == WasiProcess.State.EXITED ? process.exitStatus() : 70;
        System.out.flush();
        System.exit(status);
    }
}
