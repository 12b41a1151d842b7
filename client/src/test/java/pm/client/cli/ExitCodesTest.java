package pm.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import pm.client.ClusterClientException;
import pm.client.CoordinatorUnreachableException;
import pm.client.NotFoundException;
import pm.client.internal.StatusErrors;

/** The exit code and the line pmctl prints for each kind of failure. */
class ExitCodesTest {
    @Test
    void aRefusalByTheClusterIsOneWithTheServersMessageAndCode() {
        ClusterClientException e = new NotFoundException("no process p9", null);

        assertThat(ExitCodes.of(e)).isEqualTo(1);
        assertThat(ExitCodes.message(e)).isEqualTo("no process p9 (NOT_FOUND)");
    }

    @Test
    void noCoordinatorIsThree() {
        var e = new CoordinatorUnreachableException(List.of("h:1"), "io exception", null);

        assertThat(ExitCodes.of(e)).isEqualTo(3);
        assertThat(ExitCodes.message(e)).startsWith("cannot reach a leading coordinator (tried h:1)");
    }

    @Test
    void usageErrorsAreTwo() {
        assertThat(ExitCodes.of(new CommandLine.ParameterException(
                        new CommandLine(CommandLine.Model.CommandSpec.create()), "bad")))
                .isEqualTo(2);
        assertThat(ExitCodes.of(new IllegalArgumentException("bad"))).isEqualTo(2);
    }

    @Test
    void aMultiLineServerMessageIsCutToItsFirstLine() {
        var e = StatusErrors.toException(Status.INTERNAL.withDescription("first\nsecond"));

        assertThat(ExitCodes.message(e)).isEqualTo("first (INTERNAL)");
    }

    @Test
    void pmctlWithNoCoordinatorListeningExitsThreeWithOneLine() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        int code = new CommandLine(new Pmctl(
                        Map.of("PM_COORDINATOR", "127.0.0.1:" + port),
                        new PrintStream(new ByteArrayOutputStream()),
                        new PrintStream(err, true, StandardCharsets.UTF_8)))
                .execute("ps");

        assertThat(code).isEqualTo(3);
        assertThat(err.toString(StandardCharsets.UTF_8).lines())
                .hasSize(1)
                .first()
                .asString()
                .startsWith("pmctl: cannot reach");
    }
}
