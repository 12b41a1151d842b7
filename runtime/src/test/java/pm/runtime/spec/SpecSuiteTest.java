package pm.runtime.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import pm.runtime.interp.Machine;

/**
 * The WebAssembly 2.0 core spec suite (every non-SIMD script), twice: plain, and with a freeze,
 * state round trip and restore into a new instance and machine injected into every
 * assert_return/assert_trap invocation. Prints "N passed, M failed" for each pass.
 */
class SpecSuiteTest {
    private static final long SEED = Long.getLong("pm.spec.seed", 20261126L);
    private static final Map<String, SpecScript.Result> PLAIN = new TreeMap<>();
    private static final Map<String, SpecScript.Result> FROZEN = new TreeMap<>();
    private static final Map<String, SpecScript.Result> COMPILED = new TreeMap<>();
    private static final Map<String, SpecScript.Result> COMPILED_FROZEN = new TreeMap<>();

    @TestFactory
    Stream<DynamicTest> specScripts() throws Exception {
        return scripts(Machine.Tier.INTERP, PLAIN, FROZEN);
    }

    /**
     * The same scripts with every function the compiled tier can take compiled (all of them:
     * the suite without SIMD has no instruction it leaves to the interpreter), each invocation
     * entering compiled code; round trips resume in either tier.
     */
    @TestFactory
    Stream<DynamicTest> specScriptsCompiled() throws Exception {
        return scripts(Machine.Tier.COMPILED, COMPILED, COMPILED_FROZEN);
    }

    private Stream<DynamicTest> scripts(
            Machine.Tier tier,
            Map<String, SpecScript.Result> plainResults,
            Map<String, SpecScript.Result> frozenResults)
            throws Exception {
        Path wastDir = Paths.get(SpecSuiteTest.class.getResource("/wasm-spec").toURI());
        Path out = converted(wastDir, Paths.get("target", "spec-json"));
        List<Path> scripts;
        try (Stream<Path> files = Files.list(wastDir)) {
            scripts = files.filter(p -> p.toString().endsWith(".wast"))
                    .filter(p -> !p.getFileName().toString().startsWith("simd_"))
                    .sorted()
                    .collect(Collectors.toList());
        }
        assertThat(scripts).hasSizeGreaterThan(80);
        List<DynamicTest> tests = new ArrayList<>();
        for (Path wast : scripts) {
            String name = wast.getFileName().toString().replace(".wast", "");
            tests.add(DynamicTest.dynamicTest(name, () -> {
                Path json = out.resolve(name).resolve(name + ".json");
                SpecScript.Result plain = SpecScript.runPlain(json, tier);
                plainResults.put(name, plain);
                SpecScript.Result frozen =
                        SpecScript.runWithFreezes(json, plain.instructionCounts, SEED ^ name.hashCode(), tier);
                frozenResults.put(name, frozen);
                assertThat(plain.failures).as(name + " plain").isEmpty();
                assertThat(frozen.failures)
                        .as(name + " with freeze round trips")
                        .isEmpty();
            }));
        }
        return tests.stream();
    }

    /**
     * The scripts as wabt's wast2json converted them, unpacked from the committed
     * {@code converted.zip} (made and checked by {@code runtime/src/test/spec/convert.sh}), so the
     * suite needs nothing from outside Maven. Unpacked again whenever the archive is newer.
     */
    private static synchronized Path converted(Path wastDir, Path out) throws IOException {
        Path zip = wastDir.resolve("converted.zip");
        Path marker = out.resolve(".unpacked");
        if (Files.exists(marker) && Files.getLastModifiedTime(marker).compareTo(Files.getLastModifiedTime(zip)) >= 0) {
            return out;
        }
        Files.createDirectories(out);
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                Path target = out.resolve(e.getName()).normalize();
                if (!target.startsWith(out.normalize())) {
                    throw new IOException("converted.zip names a file outside its folder: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Files.writeString(marker, "");
        return out;
    }

    @AfterAll
    static void summary() {
        print("spec suite", PLAIN);
        print("spec suite with freeze/restore round trips", FROZEN);
        print("spec suite, compiled tier", COMPILED);
        print("spec suite, compiled tier, with round trips resuming in either tier", COMPILED_FROZEN);
    }

    private static void print(String title, Map<String, SpecScript.Result> results) {
        int passed = 0;
        int failed = 0;
        int na = 0;
        int trips = 0;
        int notCapturable = 0;
        int shared = 0;
        for (var e : results.entrySet()) {
            SpecScript.Result r = e.getValue();
            passed += r.passed;
            failed += r.failed;
            na += r.notApplicable;
            trips += r.roundTrips;
            notCapturable += r.notCapturable;
            shared += r.sharedSkipped;
            if (r.failed > 0) {
                System.out.println("  " + e.getKey() + ": " + r.failed + " failed; first: " + r.failures);
            }
        }
        System.out.printf(
                "%s: %d scripts, %d passed, %d failed (%d text-format module checks not applicable)%n",
                title, results.size(), passed, failed, na);
        if (trips > 0 || notCapturable > 0 || shared > 0) {
            System.out.printf(
                    "  %d freeze/snapshot/restore round trips; %d stops not capturable (frame in another instance); "
                            + "%d invocations of instances shared with importers run without a round trip%n",
                    trips, notCapturable, shared);
        }
    }
}
