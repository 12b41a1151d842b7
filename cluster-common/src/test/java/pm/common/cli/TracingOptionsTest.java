package pm.common.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import pm.common.tracing.DaemonTracing;

/** {@code --otlp-endpoint}: off unless given, OTLP when given, a usage error when it is no http(s) URL. */
class TracingOptionsTest {
    @Command(name = "daemon")
    static final class Daemon implements Callable<Integer> {
        @Mixin
        TracingOptions tracing;

        @Override
        public Integer call() {
            try (DaemonTracing t = tracing.tracing("pm-agent", "n1")) {
                return t.isOn() ? 10 : 11;
            }
        }
    }

    private static TracingOptions parse(String... args) {
        Daemon d = new Daemon();
        new CommandLine(d).parseArgs(args);
        return d.tracing;
    }

    @Test
    void withoutTheFlagNothingIsRecorded() {
        try (DaemonTracing tracing = parse().tracing("pm-agent", "n1")) {
            assertThat(tracing.isOn()).isFalse();
            assertThat(tracing.telemetry()
                            .getTracer("t")
                            .spanBuilder("s")
                            .startSpan()
                            .isRecording())
                    .isFalse();
        }
    }

    @Test
    void anEndpointTurnsOnRecordingForExport() {
        try (DaemonTracing tracing =
                parse("--otlp-endpoint", "http://127.0.0.1:4318").tracing("pm-agent", "n1")) {
            assertThat(tracing.isOn()).isTrue();
            assertThat(tracing.telemetry()
                            .getTracer("t")
                            .spanBuilder("s")
                            .startSpan()
                            .isRecording())
                    .isTrue();
        }
    }

    @Test
    void anEndpointThatIsNoHttpUrlIsRefused() {
        for (String bad : new String[] {"collector:4318", "ftp://collector:4318", "http://", "http://a b"}) {
            assertThatThrownBy(() -> parse("--otlp-endpoint", bad).tracing("pm-agent", "n1"))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--otlp-endpoint");
        }
    }

    @Test
    void aBadEndpointStopsTheDaemonWithTheUsageExitCode() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = DaemonLauncher.run(
                "pm agent",
                new Daemon(),
                new String[] {"--otlp-endpoint", "collector:4318"},
                new PrintStream(err, true, StandardCharsets.UTF_8));

        assertThat(code).isEqualTo(DaemonLauncher.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("pm agent: --otlp-endpoint wants http://HOST:PORT");
    }

    @Test
    void theDaemonRunsWithAndWithoutTheFlag() {
        PrintStream err = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertThat(DaemonLauncher.run("pm agent", new Daemon(), new String[0], err))
                .isEqualTo(11);
        assertThat(DaemonLauncher.run(
                        "pm agent", new Daemon(), new String[] {"--otlp-endpoint", "https://collector:4318"}, err))
                .isEqualTo(10);
    }
}
