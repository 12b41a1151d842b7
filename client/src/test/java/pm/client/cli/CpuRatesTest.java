package pm.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import pm.v1.ClusterProcess;
import pm.v1.ProcessInfo;

/** top's CPU: instructions retired per second between two samples, only where both samples have a total. */
class CpuRatesTest {
    private final AtomicLong now = new AtomicLong();
    private final CpuRates rates = new CpuRates(now::get);

    private static ClusterProcess process(String id, long instructions) {
        return ClusterProcess.newBuilder()
                .setProcessId(id)
                .setInfo(ProcessInfo.newBuilder().setInstructionsRetired(instructions))
                .build();
    }

    @Test
    void aRateIsTheIncreaseOverTheTimeBetweenSamples() {
        rates.sample(List.of(process("p1", 1_000), process("p2", 5_000)));
        now.set(2_000_000_000L);

        var r = rates.sample(List.of(process("p1", 4_001_000), process("p2", 5_000)));

        assertThat(r).containsEntry("p1", 2_000_000.0).containsEntry("p2", 0.0);
    }

    @Test
    void aProcessFirstSeenUnansweredOrGoneBackHasNoRate() {
        rates.sample(List.of(process("back", 9_000), process("silent", 1_000)));
        now.set(1_000_000_000L);

        var r = rates.sample(List.of(
                process("back", 100),
                ClusterProcess.newBuilder().setProcessId("silent").build(),
                process("new", 50)));

        assertThat(r).isEmpty();
    }
}
