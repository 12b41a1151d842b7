package pm.runtime.wasi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import pm.runtime.interp.CompiledModule;
import pm.runtime.support.Blobs;
import pm.runtime.support.WasiRun;
import pm.v1.Inode;

/**
 * C programs that use files, clocks, args, environment, random, poll and stdin (guest/wasi) run on
 * our WASI host and print what their native build printed; files.c leaves the same tree behind.
 * Again with ≥ 20 freeze → execution + WASI state as bytes → restore into a new session, store,
 * instance and machine round trips: output and files byte-identical.
 */
class WasiProgramsTest {
    private static final Path DIR = Paths.get("src", "test", "guest", "wasi");
    private static final int ROUND_TRIPS = 25;

    static Stream<JsonNode> runs() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        new ObjectMapper()
                .readTree(DIR.resolve("runs.json").toFile())
                .get("runs")
                .forEach(out::add);
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runs")
    void programBehavesAsItsNativeBuild(JsonNode run) throws Exception {
        check(run, false);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runs")
    void programIsUnchangedByFreezeStateRestoreRoundTrips(JsonNode run) throws Exception {
        check(run, true);
    }

    /**
     * files.c reads in/input.txt with read(2) and stdio; here that file is the host's blob. It
     * must read the same, travel through every round trip as its hash, and stay the blob.
     */
    @Test
    void filesProgramReadsItsInputFromABlobThatCrossesRoundTripsAsItsHash() throws Exception {
        JsonNode run = runs().filter(r -> r.get("name").asText().equals("files"))
                .findFirst()
                .orElseThrow();
        Blobs.Store blobs = new Blobs.Store();
        byte[] input = Files.readAllBytes(DIR.resolve("input/data/in/input.txt"));
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        Supplier<WasiSession.Builder> host =
                () -> WasiSession.builder().stdout(stdout::write).blobs(blobs);
        CompiledModule module = CompiledModule.compile(
                Files.readAllBytes(DIR.resolve(run.get("wasm").asText())));
        long total = WasiRun.run(module, session(run, host, blobs)).instructions();
        stdout.reset();

        WasiRun.Outcome outcome =
                WasiRun.run(module, session(run, host, blobs), host, Math.max(1, total / (ROUND_TRIPS + 1)));

        assertThat(outcome.roundTrips()).isGreaterThanOrEqualTo(20);
        assertThat(outcome.exit()).isZero();
        assertThat(stdout.toString(StandardCharsets.UTF_8))
                .isEqualTo(Files.readString(DIR.resolve("expected/files.out")));
        FileSystem data = outcome.session().preopen("/data");
        assertThat(tree(data)).isEqualTo(Files.readString(DIR.resolve("expected/files.tree")));
        BlobContent blob =
                data.resolve(data.root(), "in/input.txt", false).blob().orElseThrow();
        assertThat(blob.sha256()).isEqualTo(Blobs.sha256(input));
        List<Inode> inodes = outcome.session().capture().getPreopens(0).getFs().getInodesList();
        assertThat(inodes).filteredOn(i -> !i.getBlobSha256().isEmpty()).hasSize(1);
        assertThat(inodes).noneMatch(i -> i.getData().toStringUtf8().equals(new String(input, StandardCharsets.UTF_8)));
    }

    @Test
    void stdinProgramReadsAStdinServedFromABlob() throws Exception {
        byte[] stdin = Files.readAllBytes(DIR.resolve("input/stdin.txt"));
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        Supplier<WasiSession.Builder> host =
                () -> WasiSession.builder().stdout(stdout::write).stdin(InputSource.of(Blobs.of(stdin)));
        CompiledModule module = CompiledModule.compile(Files.readAllBytes(DIR.resolve("wasm/stdin.wasm")));
        long total =
                WasiRun.run(module, host.get().args(List.of("stdin")).build()).instructions();
        stdout.reset();

        WasiRun.Outcome outcome =
                WasiRun.run(module, host.get().args(List.of("stdin")).build(), host, total / 10);

        assertThat(outcome.roundTrips()).isGreaterThanOrEqualTo(5);
        assertThat(outcome.exit()).isZero();
        assertThat(stdout.toString(StandardCharsets.UTF_8))
                .isEqualTo(Files.readString(DIR.resolve("expected/stdin.out")));
    }

    private static void check(JsonNode run, boolean roundTrips) throws Exception {
        String name = run.get("name").asText();
        CompiledModule module = CompiledModule.compile(
                Files.readAllBytes(DIR.resolve(run.get("wasm").asText())));
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        byte[] stdin = run.get("stdin").isNull()
                ? new byte[0]
                : Files.readAllBytes(DIR.resolve(run.get("stdin").asText()));
        // The host endpoints a restoring host binds again: the same output stream, the same input.
        Supplier<WasiSession.Builder> host =
                () -> WasiSession.builder().stdout(stdout::write).stdin(InputSource.of(stdin));

        WasiRun.Outcome outcome;
        if (roundTrips) {
            long total = WasiRun.run(module, session(run, host)).instructions();
            stdout.reset();
            outcome = WasiRun.run(module, session(run, host), host, Math.max(1, total / (ROUND_TRIPS + 1)));
            assertThat(outcome.roundTrips()).isGreaterThanOrEqualTo(20);
        } else {
            outcome = WasiRun.run(module, session(run, host));
        }

        assertThat(outcome.exit()).isEqualTo(run.get("exit").asInt());
        assertThat(stdout.toString(StandardCharsets.UTF_8))
                .isEqualTo(Files.readString(DIR.resolve("expected").resolve(name + ".out")));
        for (Map.Entry<String, JsonNode> p : iterable(run.get("preopens"))) {
            assertThat(tree(outcome.session().preopen(p.getKey())))
                    .isEqualTo(Files.readString(DIR.resolve("expected").resolve(name + ".tree")));
        }
    }

    private static WasiSession session(JsonNode run, Supplier<WasiSession.Builder> host) throws IOException {
        return session(run, host, null);
    }

    /** With {@code blobs}, every input file is put there and created from its blob instead of copied. */
    private static WasiSession session(JsonNode run, Supplier<WasiSession.Builder> host, Blobs.Store blobs)
            throws IOException {
        WasiSession.Builder b = host.get();
        List<String> args = new ArrayList<>();
        run.get("args").forEach(a -> args.add(a.asText()));
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : iterable(run.get("env"))) {
            env.add(e.getKey() + "=" + e.getValue().asText());
        }
        b.args(args).environment(env);
        for (Map.Entry<String, JsonNode> p : iterable(run.get("preopens"))) {
            FileSystem fs = new FileSystem(() -> System.currentTimeMillis() * 1_000_000L, 64L << 20);
            copyIn(DIR.resolve(p.getValue().asText()), fs, fs.root(), blobs);
            b.preopen(p.getKey(), fs);
        }
        return b.build();
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode object) {
        return object::fields;
    }

    private static void copyIn(Path host, FileSystem fs, Node dir, Blobs.Store blobs) throws IOException {
        try (Stream<Path> children = Files.list(host)) {
            for (Path child : (Iterable<Path>) children.sorted()::iterator) {
                String name = child.getFileName().toString();
                if (Files.isDirectory(child)) {
                    copyIn(child, fs, fs.createDirectory(dir, name), blobs);
                } else if (blobs != null) {
                    fs.createFile(dir, name, blobs.put(Files.readAllBytes(child)));
                } else {
                    byte[] bytes = Files.readAllBytes(child);
                    fs.write(fs.createFile(dir, name), 0, bytes, 0, bytes.length);
                }
            }
        }
    }

    /** The tree as build.sh writes it: "d path" or "f path size sha256", sorted by path. */
    private static String tree(FileSystem fs) throws Exception {
        List<String> lines = new ArrayList<>();
        walk(fs, fs.root(), "", lines);
        lines.sort(
                (x, y) -> x.substring(2).split(" ")[0].compareTo(y.substring(2).split(" ")[0]));
        return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
    }

    private static void walk(FileSystem fs, Node dir, String prefix, List<String> lines) throws Exception {
        for (FileSystem.DirEntry e : fs.list(dir)) {
            if (e.name().equals(".") || e.name().equals("..")) {
                continue;
            }
            String path = prefix + e.name();
            Node node = fs.resolve(dir, e.name(), false);
            if (node.kind() == Node.Kind.DIRECTORY) {
                lines.add("d " + path);
                walk(fs, node, path + "/", lines);
            } else {
                byte[] bytes = new byte[(int) node.size()];
                fs.read(node, 0, bytes, 0, bytes.length);
                String sha = HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
                lines.add("f " + path + " " + bytes.length + " " + sha);
            }
        }
    }
}
