package pm.agent.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Assembles WebAssembly text with wabt's wat2wasm (installed by .ci/run), for small test modules. */
public final class Wat {
    private Wat() {}

    public static byte[] toWasm(String wat) {
        try {
            Path dir = Files.createTempDirectory("wat");
            Path in = dir.resolve("m.wat");
            Path out = dir.resolve("m.wasm");
            Files.writeString(in, wat);
            Process p = new ProcessBuilder("wat2wasm", in.toString(), "-o", out.toString())
                    .redirectErrorStream(true)
                    .start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalArgumentException("wat2wasm failed: " + log);
            }
            byte[] bytes = Files.readAllBytes(out);
            Files.delete(in);
            Files.delete(out);
            Files.delete(dir);
            return bytes;
        } catch (IOException e) {
            throw new IllegalStateException("wat2wasm is needed for this test (apt-get install wabt)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
