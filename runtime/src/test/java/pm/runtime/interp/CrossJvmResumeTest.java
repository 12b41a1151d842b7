package pm.runtime.interp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.runtime.image.StateBlob;
import pm.runtime.support.GuestRun;
import pm.runtime.support.ResumeMain;
import pm.runtime.wasi.WasiPreview1;
import pm.runtime.wasi.WasiSession;

/** A state written by this JVM is resumed by a second java process; together they print the whole output. */
class CrossJvmResumeTest {
    @Test
    void stateFrozenHereFinishesInAnotherJvm(@TempDir Path dir) throws Exception {
        String name = "lcg";
        byte[] wasm = GuestRun.wasm(name);
        CompiledModule module = CompiledModule.compile(wasm);
        ByteArrayOutputStream before = new ByteArrayOutputStream();
        WasiSession session =
                WasiSession.builder().args(List.of(name)).stdout(before::write).build();
        Instance instance =
                Instance.instantiate(module, new WasiPreview1(session).imports(), new Store(), Limits.DEFAULT);
        Machine machine = new Machine(instance.store(), Limits.DEFAULT);
        machine.start(instance.function("_start"));
        assertThat(machine.run(60_000_000)).isEqualTo(Machine.RunResult.OUT_OF_FUEL);
        Path state = dir.resolve("state.bin");
        Files.write(state, StateBlob.encode(Snapshots.capture(instance, machine)));

        Process child = new ProcessBuilder(
                        Paths.get(System.getProperty("java.home"), "bin", "java")
                                .toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        ResumeMain.class.getName(),
                        GuestRun.GUEST_DIR
                                .resolve("wasm")
                                .resolve(name + ".wasm")
                                .toString(),
                        state.toString(),
                        name)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String rest = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();

        assertThat(child.exitValue()).isZero();
        assertThat(before.toString(StandardCharsets.UTF_8) + rest).isEqualTo(GuestRun.expected(name));
        assertThat(rest).isNotEmpty();
    }
}
