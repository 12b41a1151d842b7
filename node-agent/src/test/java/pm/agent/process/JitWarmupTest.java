package pm.agent.process;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The warm-up's built-in module is valid and every capture/restore cycle ends where an uninterrupted run would. */
class JitWarmupTest {
    @Test
    void everyCycleRestoresToTheUninterruptedResult() throws Exception {
        assertThat(new JitWarmup(new ProcessFactory(1 << 20)).run(5)).isEqualTo(5);
    }
}
