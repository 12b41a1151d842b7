package pm.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Progress for long transfers only, at a bounded rate, with bytes and speed. */
class ProgressMeterTest {
    private final AtomicLong now = new AtomicLong();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final ProgressMeter meter =
            new ProgressMeter("exported", new PrintStream(err, true, StandardCharsets.UTF_8), now::get);

    private String printed() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aShortTransferPrintsNothing() {
        now.set(200_000_000L);
        meter.transferred(1 << 20);
        meter.finish(1 << 20);

        assertThat(printed()).isEmpty();
    }

    @Test
    void aLongTransferShowsBytesAndRateAtMostTwiceASecondAndEndsTheLine() {
        now.set(2_000_000_000L);
        meter.transferred(4L << 20);
        now.addAndGet(100_000_000L);
        meter.transferred(5L << 20); // too soon after the last line: not printed
        now.set(4_000_000_000L);
        meter.transferred(8L << 20);
        meter.finish(8L << 20);

        assertThat(printed())
                .contains("\rexported 4.0 MiB in 2.0 s (2.0 MiB/s)")
                .doesNotContain("5.0 MiB")
                .contains("\rexported 8.0 MiB in 4.0 s (2.0 MiB/s)")
                .endsWith("\n");
    }
}
