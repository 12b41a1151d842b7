package pm.common.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** The daemons' two log formats, as a daemon's stderr shows them: one text line or one JSON object per event. */
class DaemonLoggingTest {
    private static final Logger LOG = LoggerFactory.getLogger(DaemonLoggingTest.class);
    private final PrintStream stderr = System.err;

    @AfterEach
    void restore() {
        System.setErr(stderr);
        DaemonLogging.use(DaemonLogging.Format.TEXT);
        MDC.clear();
    }

    private List<String> linesLogged(DaemonLogging.Format format) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        DaemonLogging.use(format);
        MDC.put("epoch", "7");
        LOG.atInfo()
                .addKeyValue("process", "p-1")
                .addKeyValue("migration", "m-9")
                .log("migration committed; runs here");
        LOG.info("a line with \"quotes\" and a\nnewline");
        System.err.flush();
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void textLinesCarryTheEventsKeyValuesAndTheCallsContext() {
        List<String> lines = linesLogged(DaemonLogging.Format.TEXT);
        assertThat(lines.get(0))
                .contains(
                        "INFO",
                        "DaemonLoggingTest - migration committed; runs here",
                        "process=\"p-1\"",
                        "migration=\"m-9\"",
                        "epoch=7");
        assertThat(lines.get(1)).doesNotContain("=").endsWith("a line with \"quotes\" and a");
    }

    @Test
    void bothConfigurationsReadWithoutAWarning() {
        // A warning makes logback print its whole status on start-up, ahead of a daemon's first line.
        ch.qos.logback.classic.LoggerContext context =
                (ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory();
        for (DaemonLogging.Format format : DaemonLogging.Format.values()) {
            context.getStatusManager().clear();
            DaemonLogging.use(format);
            assertThat(context.getStatusManager().getCopyOfStatusList())
                    .as(format.name())
                    .allSatisfy(
                            status -> assertThat(status.getLevel()).isLessThan(ch.qos.logback.core.status.Status.WARN));
        }
    }

    @Test
    void aTextLineSaysWhatTheEventNamesOnceAndTheRestOfTheCallsContextAfterIt() {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        DaemonLogging.use(DaemonLogging.Format.TEXT);
        MDC.put("process", "p-1");
        MDC.put("epoch", "7");
        LOG.atInfo().addKeyValue("process", "p-1").log("named by the event");
        LOG.info("named by the call");
        System.err.flush();
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();

        assertThat(lines.get(0)).endsWith("named by the event process=\"p-1\" epoch=7");
        assertThat(lines.get(1)).endsWith("named by the call epoch=7 process=p-1");
    }

    @Test
    void jsonIsOneObjectPerEventWithItsKeyValuesAndTheCallsContext() {
        List<String> lines = linesLogged(DaemonLogging.Format.JSON);
        assertThat(lines).hasSize(2);
        com.google.gson.JsonObject first =
                com.google.gson.JsonParser.parseString(lines.get(0)).getAsJsonObject();
        assertThat(first.get("level").getAsString()).isEqualTo("INFO");
        assertThat(first.get("loggerName").getAsString()).isEqualTo(DaemonLoggingTest.class.getName());
        assertThat(first.get("message").getAsString()).isEqualTo("migration committed; runs here");
        assertThat(first.get("mdc").getAsJsonObject().get("epoch").getAsString())
                .isEqualTo("7");
        assertThat(first.get("kvpList").toString()).contains("\"process\":\"p-1\"", "\"migration\":\"m-9\"");
        com.google.gson.JsonObject second =
                com.google.gson.JsonParser.parseString(lines.get(1)).getAsJsonObject();
        assertThat(second.get("message").getAsString()).isEqualTo("a line with \"quotes\" and a\nnewline");
    }

    @Test
    void anUnknownFormatIsAUsageError() {
        assertThatThrownBy(() -> DaemonLogging.Format.parse("xml"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--log-format is text or json, not 'xml'");
    }
}
