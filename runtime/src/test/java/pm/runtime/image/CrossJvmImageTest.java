package pm.runtime.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.process.WasiProcess;
import pm.runtime.support.ResumeImageMain;
import pm.runtime.wasi.InputSource;
import pm.runtime.wasi.WasiSession;

/** A process image written to a file here is resumed by a second java process; the output is continuous. */
class CrossJvmImageTest {
    private static final Path GUEST = Paths.get("src", "test", "guest", "wasi");

    @Test
    void imageFileResumesInAnotherJvm(@TempDir Path dir) throws Exception {
        Path wasm = GUEST.resolve("wasm/stdin.wasm");
        Path input = GUEST.resolve("input/stdin.txt");
        CompiledModule module = CompiledModule.compile(Files.readAllBytes(wasm));
        ByteArrayOutputStream before = new ByteArrayOutputStream();
        WasiSession session = WasiSession.builder()
                .args(List.of("stdin"))
                .stdout(before::write)
                .stdin(InputSource.of(Files.readAllBytes(input)))
                .build();
        WasiProcess process = WasiProcess.start(module, session, Limits.DEFAULT, 64L << 20);
        assertThat(process.run(50_000)).isEqualTo(WasiProcess.State.RUNNABLE);
        Path image = dir.resolve("process.img");
        try (OutputStream out = Files.newOutputStream(image)) {
            process.writeImage(out, true);
        }

        Process child = new ProcessBuilder(
                        Paths.get(System.getProperty("java.home"), "bin", "java")
                                .toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        ResumeImageMain.class.getName(),
                        wasm.toString(),
                        image.toString(),
                        input.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String after = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();

        assertThat(child.exitValue()).isZero();
        assertThat(before.toString(StandardCharsets.UTF_8) + after)
                .isEqualTo(Files.readString(GUEST.resolve("expected/stdin.out")));
        assertThat(after).isNotEmpty();
    }
}
