package pm.runtime.interp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import pm.runtime.support.GuestRun;

/** Real C programs (clang to wasm32-wasi) print exactly what their native build prints. */
class CProgramsTest {
    private static final int ROUND_TRIPS = 25;

    @ParameterizedTest
    @ValueSource(strings = {"lcg", "recursion", "sort", "digest", "float", "strings"})
    void outputMatchesNativeBuild(String name) throws Exception {
        CompiledModule module = CompiledModule.compile(GuestRun.wasm(name));

        GuestRun.Outcome plain = GuestRun.run(module, List.of(name), new byte[0]);

        assertThat(plain.exitCode()).isZero();
        assertThat(plain.stdout()).isEqualTo(GuestRun.expected(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"lcg", "recursion", "sort", "digest", "float", "strings"})
    void outputUnchangedByRandomFreezeRestoreRoundTrips(String name) throws Exception {
        CompiledModule module = CompiledModule.compile(GuestRun.wasm(name));
        GuestRun.Outcome plain = GuestRun.run(module, List.of(name), new byte[0]);
        long[] stops = GuestRun.stopPoints(plain.instructions(), ROUND_TRIPS, name.hashCode());

        GuestRun.Outcome tripped = GuestRun.run(module, List.of(name), new byte[0], stops);

        assertThat(tripped.roundTrips()).isEqualTo(ROUND_TRIPS);
        assertThat(tripped.exitCode()).isZero();
        assertThat(tripped.stdout()).isEqualTo(GuestRun.expected(name));
        assertThat(tripped.instructions()).isEqualTo(plain.instructions());
    }

    @ParameterizedTest
    @ValueSource(strings = {"lcg", "recursion", "sort", "digest", "float", "strings"})
    void compiledTierPrintsWhatTheNativeBuildPrints(String name) throws Exception {
        CompiledModule module = CompiledModule.compile(GuestRun.wasm(name));

        GuestRun.Outcome compiled =
                GuestRun.run(module, List.of(name), new byte[0], new long[0], Machine.Tier.COMPILED, false);

        assertThat(compiled.exitCode()).isZero();
        assertThat(compiled.stdout()).isEqualTo(GuestRun.expected(name));
    }

    /**
     * Round trips that switch tiers at every restore: compiled frames unwound into an image resume
     * in the interpreter, and interpreter images resume with compiled code for every call made
     * after. Stops fall at the compiled tier's safepoints. The tiers count fuel differently (the
     * interpreter per fused instruction, compiled code by loop length), so points are drawn from the
     * smaller count, which a run switching tiers reaches whichever tier it is in.
     */
    @ParameterizedTest
    @ValueSource(strings = {"lcg", "recursion", "sort", "digest", "float", "strings"})
    void outputUnchangedByRoundTripsThatSwitchTiers(String name) throws Exception {
        CompiledModule module = CompiledModule.compile(GuestRun.wasm(name));
        GuestRun.Outcome compiled =
                GuestRun.run(module, List.of(name), new byte[0], new long[0], Machine.Tier.COMPILED, false);
        GuestRun.Outcome interpreted = GuestRun.run(module, List.of(name), new byte[0], new long[0]);
        long[] stops = GuestRun.stopPoints(
                Math.min(compiled.instructions(), interpreted.instructions()), ROUND_TRIPS, name.hashCode());

        GuestRun.Outcome tripped = GuestRun.run(module, List.of(name), new byte[0], stops, Machine.Tier.COMPILED, true);

        assertThat(tripped.roundTrips()).isGreaterThanOrEqualTo(20);
        assertThat(tripped.exitCode()).isZero();
        assertThat(tripped.stdout()).isEqualTo(GuestRun.expected(name));
    }
}
