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
}
