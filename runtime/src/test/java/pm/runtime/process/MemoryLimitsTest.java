package pm.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import pm.runtime.LimitExceededException;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.interp.MemoryBudget;
import pm.runtime.support.GrowUntilRefusedMain;
import pm.runtime.support.Wat;
import pm.runtime.wasi.WasiSession;

/**
 * memory.grow past the process's page limit or past its host's memory budget answers -1 and the
 * process goes on; no OutOfMemoryError reaches the host, whatever the heap.
 */
class MemoryLimitsTest {
    private static final long FS = 1 << 20;
    private static final int PAGE = 65536;

    /** Grows one page twice; exits with the memory size, or 1 or 2 if the first or second grow did not answer as expected. */
    private static final String GROW_TWICE = "(module"
            + " (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))"
            + " (memory 1)"
            + " (func (export \"_start\")"
            + "  (if (i32.ne (memory.grow (i32.const 1)) (i32.const 1)) (then (call $exit (i32.const 1))))"
            + "  (if (i32.ne (memory.grow (i32.const 1)) (i32.const -1)) (then (call $exit (i32.const 2))))"
            + "  (call $exit (memory.size))))";

    private static CompiledModule wat(String text) {
        return CompiledModule.compile(Wat.toWasm(text));
    }

    private static WasiProcess start(String text, Limits limits, MemoryBudget budget) {
        return WasiProcess.start(wat(text), WasiSession.builder().build(), limits, FS, budget);
    }

    @Test
    void growPastTheProcessPageLimitAnswersMinusOneAndTheProcessGoesOn() {
        WasiProcess p = start(GROW_TWICE, Limits.DEFAULT.withMemoryPages(2), new MemoryBudget(1L << 30));

        assertThat(p.run(Long.MAX_VALUE)).isEqualTo(WasiProcess.State.EXITED);
        assertThat(p.exitStatus()).isEqualTo(2); // memory.size: the refused grow changed nothing
    }

    @Test
    void growPastTheHostBudgetAnswersMinusOne() {
        WasiProcess p = start(GROW_TWICE, Limits.DEFAULT, new MemoryBudget(2L * PAGE));

        assertThat(p.run(Long.MAX_VALUE)).isEqualTo(WasiProcess.State.EXITED);
        assertThat(p.exitStatus()).isEqualTo(2);
    }

    @Test
    void processesOfOneHostShareItsBudget() {
        MemoryBudget host = new MemoryBudget(3L * PAGE);
        WasiProcess first = start(GROW_TWICE, Limits.DEFAULT, host);
        WasiProcess second = start(GROW_TWICE, Limits.DEFAULT, host);

        assertThat(host.reserved()).isEqualTo(2L * PAGE);
        first.run(Long.MAX_VALUE); // takes the third page, then is refused
        assertThat(host.reserved()).isEqualTo(3L * PAGE);
        assertThat(second.run(Long.MAX_VALUE)).isEqualTo(WasiProcess.State.EXITED);
        assertThat(second.exitStatus()).isEqualTo(1); // its first grow was refused already
    }

    @Test
    void aMemoryThatDoesNotFitTheBudgetFromTheStartIsRefusedWithAReason() {
        MemoryBudget host = new MemoryBudget(PAGE);

        assertThatThrownBy(() -> start("(module (memory 2) (func (export \"_start\")))", Limits.DEFAULT, host))
                .isInstanceOf(LimitExceededException.class)
                .hasMessage("memory of 131072 bytes does not fit the host's memory budget (0 of 65536 bytes in use)");
    }

    @Test
    void aCProgramsMallocSeesNullUnderTheLimitAndCarriesOn() throws Exception {
        byte[] wasm = Files.readAllBytes(Paths.get("src", "test", "guest", "wasi", "wasm", "malloc.wasm"));
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        WasiProcess p = WasiProcess.start(
                CompiledModule.compile(wasm),
                WasiSession.builder()
                        .args(List.of("malloc"))
                        .stdout(stdout::write)
                        .build(),
                Limits.DEFAULT.withMemoryPages(16 * 16),
                FS,
                new MemoryBudget(1L << 30)); // 16 MiB

        assertThat(p.run(Long.MAX_VALUE)).isEqualTo(WasiProcess.State.EXITED);
        assertThat(p.exitStatus()).isZero();
        assertThat(stdout.toString(StandardCharsets.UTF_8))
                .matches("allocated 1[0-5] MiB, then malloc returned NULL\nafter freeing: malloc works again\n");
    }

    @Test
    void growingPastASmallHeapEndsInMinusOneNotOutOfMemoryError() throws Exception {
        Process child = new ProcessBuilder(
                        Paths.get(System.getProperty("java.home"), "bin", "java")
                                .toString(),
                        "-Xmx64m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        GrowUntilRefusedMain.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();

        assertThat(child.exitValue()).isZero();
        List<String> lines = out.lines().toList();
        assertThat(lines.get(0)).isEqualTo("EXITED");
        assertThat(Integer.parseInt(lines.get(1))).isBetween(1, 8); // 4 MiB each, within half of 64 MiB
        assertThat(lines.get(2)).isEqualTo("null");
    }
}
