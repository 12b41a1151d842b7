package pm.agent.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import pm.runtime.image.ImageReader;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.process.WasiProcess;
import pm.runtime.support.Wat;
import pm.runtime.wasi.WasiSession;

/**
 * A guest whose memory is three 64-page groups: its first {@link #FILL_FUEL} instructions fill
 * every page with a byte of its own, after which it only counts in page 0, forever. So once
 * filled, the memory changes in page group 0 alone, and two processes given the same fuel hold the
 * same memory. Deterministic.
 */
public final class PageGroups {
    public static final int PAGES = 192;
    public static final int GROUP_BYTES = 64 * 65536;
    /** Enough fuel to fill all pages. */
    public static final long FILL_FUEL = 5_000;

    public static final long FS = 64L << 20;

    private static final String WAT = "(module (memory " + PAGES + ")"
            + " (func (export \"_start\") (local $p i32)"
            + "  (loop $fill"
            + "   (memory.fill (i32.mul (local.get $p) (i32.const 65536)) (i32.add (local.get $p) (i32.const 1))"
            + "    (i32.const 65536))"
            + "   (local.set $p (i32.add (local.get $p) (i32.const 1)))"
            + "   (br_if $fill (i32.lt_u (local.get $p) (i32.const " + PAGES + "))))"
            + "  (loop $count"
            + "   (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))"
            + "   (br $count))))";

    private static byte[] wasm;
    private static CompiledModule module;

    private PageGroups() {}

    public static synchronized byte[] wasm() {
        if (wasm == null) {
            wasm = Wat.toWasm(WAT);
        }
        return wasm.clone();
    }

    public static synchronized CompiledModule module() {
        if (module == null) {
            module = CompiledModule.compile(wasm());
        }
        return module;
    }

    /** A new process that has run {@code fuel} instructions. */
    public static WasiProcess started(long fuel) {
        WasiProcess p = WasiProcess.start(module(), WasiSession.builder().build(), Limits.DEFAULT, FS);
        assertThat(p.run(fuel)).isEqualTo(WasiProcess.State.RUNNABLE);
        return p;
    }

    public static byte[] fullImage(WasiProcess p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.writeImage(out, false);
        return out.toByteArray();
    }

    public static byte[] increment(WasiProcess p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.writeIncrementalImage(out, false);
        return out.toByteArray();
    }

    public static WasiProcess restore(List<InputStream> chain) throws IOException {
        return WasiProcess.restore(module(), chain, WasiSession.builder(), Limits.DEFAULT, FS);
    }

    /** Asserts that two processes hold the same memory and execution state, by full images of each. */
    public static void assertSameState(WasiProcess actual, WasiProcess expected) throws IOException {
        ImageReader.Image a = read(fullImage(actual));
        ImageReader.Image e = read(fullImage(expected));
        assertThat(a.memory()).as("memory").isEqualTo(e.memory());
        assertThat(a.execution()).as("execution").isEqualTo(e.execution());
    }

    public static ImageReader.Image read(byte[] image) throws IOException {
        return ImageReader.read(new ByteArrayInputStream(image), module().sha256(), Limits.DEFAULT.memoryPages());
    }
}
