package pm.runtime.wasi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.process.WasiProcess;
import pm.runtime.support.Wat;

/**
 * An output sink that is not ready makes the guest wait in its write — parked without a deadline, nothing
 * written — and the write happens once the sink is ready and the process runs again, also after a freeze
 * into an image in between.
 */
class OutputBackpressureTest {
    /** Writes "one\n", then "two\n", then exits 0. */
    private static final String TWO_LINES = """
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 16) "one\\ntwo\\n")
              (func (export "_start")
                (i32.store (i32.const 0) (i32.const 16))
                (i32.store (i32.const 4) (i32.const 4))
                (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
                (i32.store (i32.const 0) (i32.const 20))
                (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
            """;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private boolean ready = true;
    private final OutputSink gated = new OutputSink() {
        @Override
        public void write(byte[] bytes, int offset, int length) {
            out.write(bytes, offset, length);
            ready = false; // one write, then wait for the reader
        }

        @Override
        public boolean ready() {
            return ready;
        }
    };

    @Test
    void aWriteWaitsUntilTheSinkIsReadyAndThenHappensOnce() throws IOException {
        CompiledModule module = CompiledModule.compile(Wat.toWasm(TWO_LINES));
        WasiProcess p =
                WasiProcess.start(module, WasiSession.builder().stdout(gated).build(), Limits.DEFAULT, 1 << 20);

        assertThat(p.run(1_000_000)).isEqualTo(WasiProcess.State.SLEEPING);
        assertThat(p.nanosUntilWake()).as("only a wake ends the wait").isEqualTo(Long.MAX_VALUE);
        assertThat(p.session().outputWaiting()).isTrue();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("one\n");
        assertThat(p.run(1_000_000))
                .as("still not ready: still waiting, nothing written twice")
                .isEqualTo(WasiProcess.State.SLEEPING);

        ByteArrayOutputStream image = new ByteArrayOutputStream();
        p.writeImage(image, false);
        WasiProcess resumed = WasiProcess.restore(
                module,
                new java.io.ByteArrayInputStream(image.toByteArray()),
                WasiSession.builder().stdout(gated),
                Limits.DEFAULT,
                1 << 20);
        ready = true;
        assertThat(resumed.run(1_000_000)).isEqualTo(WasiProcess.State.EXITED);
        assertThat(resumed.session().outputWaiting()).isFalse();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("one\ntwo\n");
    }
}
