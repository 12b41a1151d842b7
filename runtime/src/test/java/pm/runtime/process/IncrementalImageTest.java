package pm.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import pm.runtime.StateMismatchException;
import pm.runtime.image.ImageReader;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.support.GuestRun;
import pm.runtime.support.Wat;
import pm.runtime.wasi.WasiSession;

/**
 * Incremental images: a full image and the increments after it restore to exactly the state one
 * full image of the same instant holds (memory, execution, session), and an increment is refused
 * without its base.
 */
class IncrementalImageTest {
    /**
     * The interpreter: twins in lockstep and "about one turn of the loop" need fuel exact per
     * instruction and no tier switch at a moment a background compile decides.
     */
    private static final Limits LIMITS = Limits.DEFAULT.withTier(pm.runtime.interp.Machine.Tier.INTERP);

    private static final long FS = 64L << 20;

    /**
     * Touches memory every way a guest can: stores that straddle a page boundary, memory.fill with
     * zero (pages that change back to zero), memory.copy, growth, and a WASI call writing memory.
     * Loops forever over 6 pages, so every slice dirties a different few. Deterministic; never ends.
     */
    private static final String SCRIBBLER = "(module"
            + " (import \"wasi_snapshot_preview1\" \"args_get\" (func $args (param i32 i32) (result i32)))"
            + " (memory 2 8)"
            + " (func (export \"_start\") (local $i i32) (local $page i32)"
            + "  (drop (memory.grow (i32.const 4)))"
            + "  (loop $forever"
            + "   (local.set $page (i32.rem_u (local.get $i) (i32.const 5)))"
            + "   (i64.store (i32.sub (i32.mul (i32.add (local.get $page) (i32.const 1)) (i32.const 65536)) (i32.const 3))"
            + "    (i64.mul (i64.extend_i32_u (local.get $i)) (i64.const 0x9E3779B97F4A7C15)))"
            + "   (if (i32.eq (i32.rem_u (local.get $i) (i32.const 7)) (i32.const 3))"
            + "    (then (memory.fill (i32.mul (local.get $page) (i32.const 65536)) (i32.const 0) (i32.const 65536))))"
            + "   (if (i32.eq (i32.rem_u (local.get $i) (i32.const 11)) (i32.const 5))"
            + "    (then (memory.copy (i32.const 70000) (i32.mul (local.get $page) (i32.const 65536)) (i32.const 100000))))"
            + "   (if (i32.eq (i32.rem_u (local.get $i) (i32.const 13)) (i32.const 0))"
            + "    (then (drop (call $args (i32.add (i32.const 200000) (local.get $i)) (i32.add (i32.const 300000) (local.get $i))))))"
            + "   (local.set $i (i32.add (local.get $i) (i32.const 1)))"
            + "   (br $forever)))"
            + ")";

    @Test
    void fullImagePlusIncrementsRestoreTheStateOfOneFullImage() throws Exception {
        CompiledModule module = CompiledModule.compile(Wat.toWasm(SCRIBBLER));
        // Two identical deterministic processes in lockstep: one writes a chain, the other a full
        // image at every point, which is the reference the chain must reproduce.
        WasiProcess chained = scribbler(module);
        WasiProcess twin = scribbler(module);
        List<byte[]> chain = new ArrayList<>();
        chained.run(500);
        twin.run(500);
        chain.add(image(chained, false));
        for (int slice = 0; slice < 40; slice++) {
            long fuel = 150 + 37L * slice;
            assertThat(chained.run(fuel)).isEqualTo(WasiProcess.State.RUNNABLE);
            twin.run(fuel);
            chain.add(image(chained, true));

            WasiProcess fromChain = WasiProcess.restore(module, streams(chain), WasiSession.builder(), LIMITS, FS);
            assertSameState(module, image(fromChain, false), image(twin, false), "after increment " + slice);
        }
        chained.run(40); // about one turn of the loop: a few of the six pages
        assertThat(image(chained, true).length)
                .as("an increment carries the few pages written")
                .isBetween(65536, 5 * 65536);
    }

    private static WasiProcess scribbler(CompiledModule module) {
        return WasiProcess.start(
                module, WasiSession.builder().args(List.of("scribbler", "x")).build(), LIMITS, FS);
    }

    @Test
    void chainOfACProgramFinishesWithTheUninterruptedOutput() throws Exception {
        CompiledModule module = CompiledModule.compile(GuestRun.wasm("sort"));
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        WasiProcess p = WasiProcess.start(
                module, GuestRun.host(stdout, new byte[0]).args(List.of("sort")).build(), LIMITS, FS);
        List<byte[]> chain = new ArrayList<>();
        long incrementBytes = 0;
        long fullBytes = 0;
        while (p.run(3_000_000) == WasiProcess.State.RUNNABLE) {
            chain.add(image(p, !chain.isEmpty()));
            if (chain.size() > 1) {
                incrementBytes += chain.get(chain.size() - 1).length;
                fullBytes += chain.get(0).length;
            }
            p = WasiProcess.restore(module, streams(chain), GuestRun.host(stdout, new byte[0]), LIMITS, FS);
        }

        assertThat(p.state()).isEqualTo(WasiProcess.State.EXITED);
        assertThat(chain).hasSizeGreaterThanOrEqualTo(20);
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo(GuestRun.expected("sort"));
        assertThat(incrementBytes).as("increments carry only what changed").isLessThan(fullBytes);
    }

    @Test
    void anIncrementWithoutItsBaseIsRefusedByName() throws Exception {
        CompiledModule module = CompiledModule.compile(Wat.toWasm(SCRIBBLER));
        WasiProcess p = WasiProcess.start(module, WasiSession.builder().build(), LIMITS, FS);
        p.run(1000);
        ByteArrayOutputStream full = new ByteArrayOutputStream();
        String baseId = p.writeImage(full, false);
        p.run(1000);
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        String firstId = p.writeIncrementalImage(first, false);
        p.run(1000);
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        String secondId = p.writeIncrementalImage(second, false);

        assertThatThrownBy(() -> restore(module, first.toByteArray()))
                .isInstanceOf(StateMismatchException.class)
                .hasMessage("image " + firstId + " is an increment of image " + baseId + ", which was not given");
        assertThatThrownBy(() -> restore(module, full.toByteArray(), second.toByteArray()))
                .isInstanceOf(StateMismatchException.class)
                .hasMessage("image " + secondId + " is an increment of image " + firstId + ", not of image " + baseId);
        assertThatThrownBy(() -> restore(module, full.toByteArray(), full.toByteArray()))
                .isInstanceOf(StateMismatchException.class)
                .hasMessage("image " + baseId + " is a full image, not an increment of image " + baseId);
        assertThat(restore(module, full.toByteArray(), first.toByteArray(), second.toByteArray())
                        .state())
                .isEqualTo(WasiProcess.State.RUNNABLE);
    }

    @Test
    void anIncrementNeedsABase() {
        WasiProcess p = WasiProcess.start(
                CompiledModule.compile(Wat.toWasm(SCRIBBLER)),
                WasiSession.builder().build(),
                LIMITS,
                FS);

        assertThatThrownBy(() -> p.writeIncrementalImage(new ByteArrayOutputStream(), false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("no base image to build an increment on: write a full image first");
    }

    @Test
    void anImageLargerThanTheProcessLimitIsRefusedBeforeAllocating() throws Exception {
        CompiledModule module = CompiledModule.compile(Wat.toWasm(SCRIBBLER));
        WasiProcess p = WasiProcess.start(module, WasiSession.builder().build(), LIMITS, FS);
        p.run(1000);
        byte[] image = image(p, false);

        assertThatThrownBy(() -> WasiProcess.restore(
                        module, new ByteArrayInputStream(image), WasiSession.builder(), LIMITS.withMemoryPages(4), FS))
                .isInstanceOf(pm.runtime.LimitExceededException.class)
                .hasMessageEndingWith(" has 6 memory pages, more than the limit of 4");
    }

    private static WasiProcess restore(CompiledModule module, byte[]... images) throws Exception {
        List<InputStream> in = new ArrayList<>();
        for (byte[] i : images) {
            in.add(new ByteArrayInputStream(i));
        }
        return WasiProcess.restore(module, in, WasiSession.builder(), LIMITS, FS);
    }

    private static byte[] image(WasiProcess p, boolean increment) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (increment) {
            p.writeIncrementalImage(out, false);
        } else {
            p.writeImage(out, false);
        }
        return out.toByteArray();
    }

    private static List<InputStream> streams(List<byte[]> images) {
        List<InputStream> out = new ArrayList<>();
        for (byte[] i : images) {
            out.add(new ByteArrayInputStream(i));
        }
        return out;
    }

    private static void assertSameState(CompiledModule module, byte[] actual, byte[] expected, String when)
            throws Exception {
        ImageReader.Image a = ImageReader.read(new ByteArrayInputStream(actual), module.sha256(), LIMITS.memoryPages());
        ImageReader.Image e =
                ImageReader.read(new ByteArrayInputStream(expected), module.sha256(), LIMITS.memoryPages());
        assertThat(a.memory()).as("memory " + when).isEqualTo(e.memory());
        assertThat(a.execution()).as("execution " + when).isEqualTo(e.execution());
        assertThat(a.wasi().toBuilder().clearMonotonicNow().build())
                .as("session " + when)
                .isEqualTo(e.wasi().toBuilder().clearMonotonicNow().build());
    }
}
