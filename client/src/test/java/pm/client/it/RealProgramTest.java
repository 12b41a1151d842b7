package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import pm.client.ClusterClient;
import pm.client.testing.ClusterExtension;
import pm.client.testing.PmctlRunner;
import pm.client.testing.TestCluster;
import pm.v1.ProcessState;

/**
 * A third-party program end to end, as a user runs it: Debian's bzip2 compiled to WebAssembly compresses an
 * input given by {@code pmctl run --file}, is migrated live three times while it works, and its {@code .bz2},
 * fetched with {@code pmctl cp}, is byte for byte what the native bzip2 makes of the same input. The input's
 * size is {@code -Dpm.test.bzip2.mib} (default 4; the README gives the command for 64 and its figure).
 */
@ExtendWith(ClusterExtension.class)
class RealProgramTest {
    private static final Path BZIP2 = Paths.get("..", "runtime", "src", "test", "guest", "wasm", "bzip2.wasm");

    /** Debian's bzip2 1.0.8, {@code bzip2 -9} of the default input (4 MiB, seed 7). */
    private static final String NATIVE_4_MIB_SHA256 =
            "90605a38536d5c5135e36509eeca141a4c26d665e8763790a09acd181e12e18a";

    @TempDir
    Path dir;

    @Test
    void bzip2CompressesAnUploadedFileThroughThreeLiveMigrationsAndCpFetchesTheSameBytesAsNative(TestCluster cluster)
            throws Exception {
        int mib = Integer.getInteger("pm.test.bzip2.mib", 4);
        Path input = Files.writeString(dir.resolve("big.txt"), text(mib << 20, 7));
        byte[] expected = nativeBzip2(input, mib);
        ClusterClient client = cluster.client();
        PmctlRunner pmctl = new PmctlRunner(cluster.coordinatorAddresses());

        PmctlRunner.Result run = pmctl.run(
                "run",
                BZIP2.toString(),
                "--id",
                "bz-1",
                "--file",
                input + "=big.txt",
                "--fs-limit-mib",
                Integer.toString(2 * mib + 16),
                "--",
                "-k",
                "-9",
                "/data/big.txt"); // the input and its .bz2
        assertThat(run.exitCode()).as(run.toString()).isZero();
        for (int move = 0; move < 3; move++) {
            long before = retired(client);
            await().atMost(Duration.ofMinutes(2)).until(() -> retired(client) > before + 50_000_000L || ended(client));
            assertThat(ended(client))
                    .as("bzip2 finished before move " + (move + 1) + ": give it a larger input")
                    .isFalse();
            client.migrate("bz-1");
        }
        await().atMost(Duration.ofMinutes(20)).until(() -> ended(client));
        assertThat(client.get("bz-1").getState()).isEqualTo(ProcessState.PROCESS_STATE_EXITED);
        assertThat(client.get("bz-1").getExitStatus()).isZero();

        Path fetched = dir.resolve("big.txt.bz2");
        PmctlRunner.Result cp = pmctl.run("cp", "bz-1:/data/big.txt.bz2", fetched.toString());
        assertThat(cp.exitCode()).as(cp.toString()).isZero();
        if (expected != null) {
            assertThat(Files.readAllBytes(fetched)).isEqualTo(expected);
        } else {
            assertThat(sha256(Files.readAllBytes(fetched)))
                    .as("the digest of native bzip2 1.0.8's output")
                    .isEqualTo(NATIVE_4_MIB_SHA256);
        }
        client.kill("bz-1");
    }

    private static long retired(ClusterClient client) {
        var p = client.get("bz-1");
        return p.hasInfo() ? p.getInfo().getInstructionsRetired() : 0;
    }

    private static boolean ended(ClusterClient client) {
        return client.get("bz-1").getEndedMillis() > 0
                || client.get("bz-1").getState() == ProcessState.PROCESS_STATE_EXITED;
    }

    /** Words from a small vocabulary: compressible like real text, and the same for a seed. */
    private static String text(int size, long seed) {
        String[] words = "the quick brown fox jumps over a lazy dog while process images move between hosts".split(" ");
        Random random = new Random(seed);
        StringBuilder b = new StringBuilder(size + 16);
        while (b.length() < size) {
            b.append(words[random.nextInt(words.length)]).append(random.nextInt(10) == 0 ? '\n' : ' ');
        }
        return b.substring(0, size);
    }

    /**
     * What the native tool makes of the input; null where it is not installed and the input is the
     * default 4 MiB, whose result's digest is known ({@link #NATIVE_4_MIB_SHA256}). Where it is, the
     * digest is checked too, so the constant stays true.
     */
    private byte[] nativeBzip2(Path input, int mib) throws Exception {
        Path copy = Files.copy(input, dir.resolve("native.txt"));
        Process p;
        try {
            p = new ProcessBuilder("bzip2", "-k", "-9", copy.toString())
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            assertThat(mib)
                    .as("native bzip2 is not installed (apt-get install bzip2); without it only the default 4 MiB "
                            + "input can be checked, against its known digest")
                    .isEqualTo(4);
            return null;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor())
                .as("native bzip2 (the Debian package bzip2): " + out)
                .isZero();
        byte[] expected = Files.readAllBytes(dir.resolve("native.txt.bz2"));
        if (mib == 4) {
            assertThat(sha256(expected))
                    .as("the known digest of native bzip2's output for 4 MiB")
                    .isEqualTo(NATIVE_4_MIB_SHA256);
        }
        return expected;
    }

    private static String sha256(byte[] bytes) throws java.security.NoSuchAlgorithmException {
        return java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
