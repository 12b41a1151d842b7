package pm.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import pm.runtime.LinkException;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.support.Wat;
import pm.runtime.wasi.InputSource;
import pm.runtime.wasi.WasiSession;

/** A process runs in slices, travels as images between them, and ends alone when it traps or exceeds a limit. */
class WasiProcessTest {
    private static final Path GUEST = Paths.get("src", "test", "guest", "wasi");
    private static final long FS = 64L << 20;

    private static CompiledModule wat(String text) {
        return CompiledModule.compile(Wat.toWasm(text));
    }

    @Test
    void processMovedThroughImagesBetweenEverySliceFinishesWithTheSameOutput() throws Exception {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        byte[] stdin = Files.readAllBytes(GUEST.resolve("input/stdin.txt"));
        CompiledModule module = CompiledModule.compile(Files.readAllBytes(GUEST.resolve("wasm/stdin.wasm")));
        WasiSession.Builder host = WasiSession.builder().stdout(stdout::write).stdin(InputSource.of(stdin));
        WasiProcess process =
                WasiProcess.start(module, host.args(List.of("stdin")).build(), Limits.DEFAULT, FS);
        int images = 0;

        while (process.run(20_000) == WasiProcess.State.RUNNABLE) {
            ByteArrayOutputStream image = new ByteArrayOutputStream();
            process.writeImage(image, true);
            process = WasiProcess.restore(
                    module,
                    new ByteArrayInputStream(image.toByteArray()),
                    WasiSession.builder().stdout(stdout::write).stdin(InputSource.of(stdin)),
                    Limits.DEFAULT,
                    FS);
            images++;
        }

        assertThat(process.state()).isEqualTo(WasiProcess.State.EXITED);
        assertThat(process.exitStatus()).isZero();
        assertThat(images).isGreaterThanOrEqualTo(20);
        assertThat(stdout.toString(StandardCharsets.UTF_8))
                .isEqualTo(Files.readString(GUEST.resolve("expected/stdin.out")));
    }

    @Test
    void aTrapEndsTheProcessWithTheTrapAsReason() {
        WasiProcess p = WasiProcess.start(
                wat("(module (func (export \"_start\") unreachable))"),
                WasiSession.builder().build(),
                Limits.DEFAULT,
                FS);

        assertThat(p.run(Long.MAX_VALUE)).isEqualTo(WasiProcess.State.FAILED);
        assertThat(p.failure()).isEqualTo("unreachable");
    }

    @Test
    void aWithdrawnFreezeRequestDoesNotStopTheNextSlice() {
        WasiProcess p = WasiProcess.start(
                wat("(module (func (export \"_start\") (loop (br 0))))"),
                WasiSession.builder().build(),
                Limits.DEFAULT,
                FS);

        p.requestFreeze();
        p.cancelFreezeRequest();

        assertThat(p.run(1_000)).isEqualTo(WasiProcess.State.RUNNABLE);
        p.requestFreeze();
        assertThat(p.run(1_000)).isEqualTo(WasiProcess.State.FROZEN);
    }

    @Test
    void aModuleWithoutStartIsALinkErrorNamingTheExport() {
        CompiledModule library = wat("(module (memory (export \"memory\") 1) (func (export \"main\")))");

        assertThatThrownBy(
                        () -> WasiProcess.start(library, WasiSession.builder().build(), Limits.DEFAULT, FS))
                .isInstanceOf(LinkException.class)
                .hasMessage("module exports no function \"_start\": it is not a WASI command");
    }

    @Test
    void aStartThatTakesArgumentsIsALinkError() {
        CompiledModule odd = wat("(module (func (export \"_start\") (param i32)))");

        assertThatThrownBy(() -> WasiProcess.start(odd, WasiSession.builder().build(), Limits.DEFAULT, FS))
                .isInstanceOf(LinkException.class)
                .hasMessage("export \"_start\" must take and return nothing, it takes 1 and returns 0 values");
    }

    @Test
    void procExitStatusIsReported() {
        WasiProcess p = WasiProcess.start(
                wat("(module"
                        + " (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))"
                        + " (func (export \"_start\") (call $exit (i32.const 3))))"),
                WasiSession.builder().build(),
                Limits.DEFAULT,
                FS);

        assertThat(p.run(Long.MAX_VALUE)).isEqualTo(WasiProcess.State.EXITED);
        assertThat(p.exitStatus()).isEqualTo(3);
    }
}
