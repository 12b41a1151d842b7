package pm.deploy.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fault-injection suite through its own entry point ({@code ./pm faults} runs the same): no scenario fails. */
class FaultSuiteTest {
    @TempDir
    Path dir;

    @Test
    void everyFaultScenarioKeepsEachProcessExactlyOnceWithExactOutput() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new TeeStream(buffer, System.out), true, StandardCharsets.UTF_8);
        FaultSuite.Summary summary = FaultSuite.run(
                out, dir, System.getProperty("pm.faults.only", ""), Boolean.getBoolean("pm.faults.verbose"));
        assertThat(summary.failed()).as(buffer.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(summary.passed()).isPositive();
    }

    /** Prints as it goes (the suite takes minutes) and keeps a copy for the assertion message. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] bytes, int off, int len) throws java.io.IOException {
            a.write(bytes, off, len);
            b.write(bytes, off, len);
        }
    }
}
