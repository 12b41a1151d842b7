package pm.runtime.wasi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.process.WasiProcess;
import pm.runtime.support.NodeWasi;
import pm.runtime.support.WasiGuest;
import pm.runtime.support.Wat;
import pm.runtime.wasi.ConformanceCases.Case;

/**
 * Our WASI preview 1 conformance cases ({@link ConformanceCases}) run as processes, and the same
 * modules run under node:wasi: every case must give our answer, and node must agree except where a
 * case says why not.
 */
class WasiConformanceTest {
    private static final List<Case> CASES = ConformanceCases.all();
    private static final Map<String, byte[]> MODULES = new LinkedHashMap<>();

    private static synchronized byte[] wasm(Case c) {
        return MODULES.computeIfAbsent(c.name(), n -> Wat.toWasm(c.wat()));
    }

    /** The exit status of {@code c}'s guest run here, in a fresh empty preopen. */
    private static int runHere(Case c) {
        WasiSession session = WasiSession.builder()
                .args(List.of(c.name()))
                .preopen(WasiGuest.SANDBOX, new FileSystem(() -> 0L, 1 << 20))
                .build();
        WasiProcess p = WasiProcess.start(CompiledModule.compile(wasm(c)), session, Limits.DEFAULT, 1 << 20);
        WasiProcess.State end = p.run(Long.MAX_VALUE);
        assertThat(end).as("%s: %s", c.name(), p.failure()).isEqualTo(WasiProcess.State.EXITED);
        return p.exitStatus();
    }

    @TestFactory
    Stream<DynamicTest> everyCaseGivesOurAnswer() {
        return CASES.stream()
                .map(c -> DynamicTest.dynamicTest(
                        c.name(), () -> assertThat(runHere(c)).as(c.name()).isEqualTo(c.expected())));
    }

    @Test
    void nodeWasiAgreesExceptWhereACaseSaysWhy() throws Exception {
        Assumptions.assumeTrue(NodeWasi.available(), "node with node:wasi is not installed: cannot compare with it");
        Map<String, byte[]> modules = new LinkedHashMap<>();
        CASES.forEach(c -> modules.put(c.name(), wasm(c)));
        Map<String, Integer> node = NodeWasi.run(modules);

        List<String> unexplained = new ArrayList<>();
        int agree = 0;
        for (Case c : CASES) {
            int ours = runHere(c);
            Integer theirs = node.get(c.name());
            if (theirs != null && theirs == ours) {
                agree++;
            }
            boolean expectAgreement = c.nodeDiffers() == null;
            if (!expectAgreement) {
                System.out.printf(
                        "  differs on purpose: %s: ours %d, node %s (%s)%n", c.name(), ours, theirs, c.nodeDiffers());
            }
            if (expectAgreement != (theirs != null && theirs == ours)) {
                unexplained.add(c.name() + ": ours " + ours + ", node " + theirs
                        + (expectAgreement ? "" : " (a documented difference that is gone)"));
            }
        }
        System.out.printf("WASI conformance: %d of %d cases agree with node:wasi%n", agree, CASES.size());
        assertThat(unexplained).isEmpty();
    }
}
