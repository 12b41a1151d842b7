package pm.runtime.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.runtime.support.GuestRun;
import pm.runtime.support.Wat;

/** {@code pm run} and {@code pm resume} through their real entry point, in a fresh JVM each, on real guests. */
class LocalMainTest {
    private static final Path GUESTS = GuestRun.GUEST_DIR.toAbsolutePath();
    private static final Path WASI = GUESTS.resolve("wasi");

    @TempDir
    Path dir;

    @Test
    void aCGuestPrintsWhatItsNativeBuildPrintsAndExitsZero() throws Exception {
        PmRun.Result r = PmRun.run(dir, null, "run", "--tier", "compiled", wasm("lcg"));

        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo(GuestRun.expected("lcg"));
    }

    @Test
    void theExitStatusIsTheGuests() throws Exception {
        Path module = dir.resolve("exit7.wasm");
        Files.write(
                module,
                Wat.toWasm("(module"
                        + " (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))"
                        + " (memory (export \"memory\") 1)"
                        + " (func (export \"_start\") (call $exit (i32.const 7))))"));

        PmRun.Result r = PmRun.run(dir, null, "run", module.toString());

        assertThat(r.exit()).as(r.stderr()).isEqualTo(7);
    }

    @Test
    void argumentsEnvironmentAndStdinAreTheCommandLinesAndTheTerminals() throws Exception {
        Path named = Files.copy(WASI.resolve("wasm/env.wasm"), dir.resolve("env")); // argv[0] is the module's file name
        PmRun.Result env = PmRun.run(
                dir,
                null,
                "run",
                "--env",
                "PM_A=1",
                "--env",
                "PM_B=two",
                "--env",
                "PM_EMPTY=",
                "--env",
                "PM_EQ=x=y",
                named.toString(),
                "alpha",
                "beta gamma",
                "",
                "h\u00e9llo");
        PmRun.Result stdin = PmRun.run(
                dir,
                WASI.resolve("input/stdin.txt"),
                "run",
                WASI.resolve("wasm/stdin.wasm").toString());

        assertThat(env.exit()).as(env.stderr()).isZero();
        assertThat(env.stdout()).isEqualTo(Files.readString(WASI.resolve("expected/env.out")));
        assertThat(stdin.exit()).as(stdin.stderr()).isZero();
        assertThat(stdin.stdout()).isEqualTo(Files.readString(WASI.resolve("expected/stdin.out")));
    }

    @Test
    void filesWrittenUnderADirLandInTheHostFolderWhenTheProgramExits() throws Exception {
        Path data = copyOfInputData();

        PmRun.Result r = PmRun.run(
                dir,
                null,
                "run",
                "--dir",
                data + "::/data",
                WASI.resolve("wasm/files.wasm").toString(),
                "/data");

        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo(Files.readString(WASI.resolve("expected/files.out")));
        assertThat(tree(data)).isEqualTo(Files.readString(WASI.resolve("expected/files.tree")));
    }

    @Test
    void aProgramFrozenAfterADurationResumesToTheOutputOfAnUninterruptedRun() throws Exception {
        // The interpreter is slow enough that 300 ms is well inside the run, all the more on a loaded machine.
        PmRun.Result frozen = PmRun.run(
                dir, null, "run", "--tier", "interp", "--freeze-after", "300ms", "--image", "lcg.img", wasm("lcg"));
        assertThat(frozen.exit()).as(frozen.stderr()).isEqualTo(LocalMain.FROZEN);
        assertThat(dir.resolve("lcg.img")).isRegularFile();

        PmRun.Result resumed = PmRun.run(dir, null, "resume", "--tier", "compiled", "lcg.img");

        assertThat(resumed.exit()).as(resumed.stderr()).isZero();
        assertThat(frozen.stdout() + resumed.stdout()).isEqualTo(GuestRun.expected("lcg"));
    }

    @Test
    void sigtermWithAnImageFreezesTheProgramInsteadOfEndingIt() throws Exception {
        PmRun run = PmRun.start(dir, null, "run", "--tier", "interp", "--image", "term.img", wasm("lcg"));
        await("the program's first line")
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(2))
                .until(() -> !run.stdoutSoFar().isEmpty());
        run.terminate();
        PmRun.Result frozen = run.waitFor();
        assertThat(frozen.exit()).as(frozen.stderr()).isEqualTo(LocalMain.FROZEN);

        PmRun.Result resumed = PmRun.run(dir, null, "resume", "term.img");

        assertThat(resumed.exit()).as(resumed.stderr()).isZero();
        assertThat(frozen.stdout() + resumed.stdout()).isEqualTo(GuestRun.expected("lcg"));
    }

    @Test
    void aFrozenProgramsFilesTravelInItsImageAndLandWhenTheResumedProgramExits() throws Exception {
        Path data = copyOfInputData();
        String before = tree(data);
        PmRun.Result frozen = PmRun.run(
                dir,
                null,
                "run",
                "--dir",
                data + "::/data",
                "--freeze-after",
                "0",
                "--image",
                "files.img",
                WASI.resolve("wasm/files.wasm").toString(),
                "/data");
        assertThat(frozen.exit()).as(frozen.stderr()).isEqualTo(LocalMain.FROZEN);
        assertThat(tree(data)).isEqualTo(before);

        PmRun.Result resumed = PmRun.run(dir, null, "resume", "--dir", data + "::/data", "files.img");

        assertThat(resumed.exit()).as(resumed.stderr()).isZero();
        assertThat(frozen.stdout() + resumed.stdout()).isEqualTo(Files.readString(WASI.resolve("expected/files.out")));
        assertThat(tree(data)).isEqualTo(Files.readString(WASI.resolve("expected/files.tree")));
    }

    @Test
    void aMissingModuleIsOneLineAndStatusTwo() throws Exception {
        assertBadInput(PmRun.run(dir, null, "run", dir.resolve("missing.wasm").toString()), "no such file");
    }

    @Test
    void aFileThatIsNotWebAssemblyIsOneLineAndStatusTwo() throws Exception {
        Path text = dir.resolve("notes.wasm");
        Files.writeString(text, "hello, I am not a module\n");

        assertBadInput(PmRun.run(dir, null, "run", text.toString()), "is not a WebAssembly module");
    }

    @Test
    void aBadDirIsOneLineAndStatusTwo() throws Exception {
        assertBadInput(
                PmRun.run(dir, null, "run", "--dir", dir.resolve("absent") + "::/data", wasm("lcg")),
                "is not a directory");
        assertBadInput(PmRun.run(dir, null, "run", "--dir", "::/data", wasm("lcg")), "bad --dir");
    }

    private static void assertBadInput(PmRun.Result r, String message) {
        assertThat(r.exit()).isEqualTo(LocalMain.BAD_INPUT);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains(message).endsWith("\n");
        assertThat(r.stderr().lines()).hasSize(1);
    }

    private static String wasm(String name) {
        return GUESTS.resolve("wasm").resolve(name + ".wasm").toString();
    }

    private Path copyOfInputData() throws IOException {
        Path from = WASI.resolve("input/data");
        Path to = dir.resolve("data");
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all.sorted()::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }

    /** The tree as the guests' build.sh writes it: "d path" or "f path size sha256", sorted by path. */
    private static String tree(Path root) throws IOException {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all.filter(p -> !p.equals(root)).sorted()::iterator) {
                String rel = root.relativize(p).toString();
                lines.add(
                        Files.isDirectory(p)
                                ? "d " + rel
                                : "f " + rel + " " + Files.size(p) + " " + sha256(Files.readAllBytes(p)));
            }
        }
        lines.sort(
                (x, y) -> x.substring(2).split(" ")[0].compareTo(y.substring(2).split(" ")[0]));
        return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
