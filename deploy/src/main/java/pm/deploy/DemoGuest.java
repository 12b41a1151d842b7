package pm.deploy;

import java.io.IOException;
import java.io.InputStream;

/**
 * The demo guest ({@code src/main/guest/demo.c}, in the jar as {@code /demo.wasm}):
 * {@code demo STEPS DELAY_MS WORK} prints one line per step with a running checksum, then {@code done}.
 * Its output depends on STEPS and WORK alone, so {@link #expectedOutput} is the uninterrupted run's
 * output, whatever happened to the process in between.
 */
public final class DemoGuest {
    /** The per-step hashing demo.c does when not told otherwise. */
    public static final int DEFAULT_WORK = 20000;

    private DemoGuest() {}

    public static byte[] module() throws IOException {
        try (InputStream in = DemoGuest.class.getResourceAsStream("/demo.wasm")) {
            if (in == null) {
                throw new IOException("demo.wasm is not on the class path (deploy/src/main/guest/wasm)");
            }
            return in.readAllBytes();
        }
    }

    /** What demo.c prints for {@code steps} steps of {@code work} hashing each: the same checksum computed here. */
    public static String expectedOutput(int steps, int work) {
        StringBuilder out = new StringBuilder();
        long checksum = 1469598103934665603L; // as demo.c starts it
        for (int i = 1; i <= steps; i++) {
            for (int k = 0; k < work; k++) {
                checksum = (checksum ^ (i * 31L + k)) * 0x100000001b3L;
            }
            out.append(String.format("step %3d of %d  checksum %016x%n", i, steps, checksum));
        }
        return out.append("done\n").toString();
    }
}
