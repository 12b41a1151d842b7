package pm.runtime.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * Assembles WebAssembly text for small test modules. The results are committed, named by the
 * SHA-256 of the text ({@code runtime/src/test/resources/wat/}), so the tests need no wabt: a text
 * found there is not assembled again. Under CI ({@code CI=true}, with wabt installed by .ci/run) every
 * text is assembled with wat2wasm and must equal its committed result, so the folder stays complete
 * and true; {@code PM_WAT_RECORD=true} in the environment writes what is missing or different into it.
 */
public final class Wat {
    private static final Path COMMITTED = Paths.get("..", "runtime", "src", "test", "resources", "wat");

    private Wat() {}

    public static byte[] toWasm(String wat) {
        String key = sha256(wat);
        byte[] committed = committed(key);
        boolean record =
                "true".equals(System.getenv("PM_WAT_RECORD")); // an environment variable reaches child JVMs too
        boolean verify = "true".equals(System.getenv("CI"));
        if (committed != null && !record && !verify) {
            return committed;
        }
        byte[] built = assemble(wat, committed == null && !record && !verify);
        if (record) {
            write(key, built);
        } else if (verify && !Arrays.equals(built, committed)) {
            throw new IllegalStateException(
                    "the committed assembly of this WebAssembly text (runtime/src/test/resources/wat/" + key
                            + ".wasm) is " + (committed == null ? "missing" : "not what wat2wasm makes of it")
                            + ": run the test with PM_WAT_RECORD=true in the environment and commit the file");
        }
        return built;
    }

    private static byte[] committed(String key) {
        try (InputStream in = Wat.class.getResourceAsStream("/wat/" + key + ".wasm")) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the committed assembly " + key, e);
        }
    }

    private static void write(String key, byte[] wasm) {
        try {
            Files.createDirectories(COMMITTED);
            Files.write(COMMITTED.resolve(key + ".wasm"), wasm);
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot record the assembly " + key + " under " + COMMITTED.toAbsolutePath(), e);
        }
    }

    private static byte[] assemble(String wat, boolean onlyWayLeft) {
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
            throw new IllegalStateException(
                    onlyWayLeft
                            ? "this test's WebAssembly text has no committed assembly and wat2wasm is not installed (apt-get install wabt)"
                            : "wat2wasm is needed to check or record the committed assemblies (apt-get install wabt)",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
