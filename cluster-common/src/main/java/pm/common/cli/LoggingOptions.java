package pm.common.cli;

import picocli.CommandLine.Option;
import pm.common.logging.DaemonLogging;

/** The daemons' {@code --log-format}: text lines (the default) or one JSON object per line, on stderr either way. */
public final class LoggingOptions {
    @Option(
            names = "--log-format",
            paramLabel = "text|json",
            defaultValue = "text",
            description =
                    "How the log is written to stderr: text lines or one JSON object per line (default: ${DEFAULT-VALUE}).")
    String format;

    /** Applies the chosen format; an unknown one is a usage error ({@link IllegalArgumentException}, exit 2). */
    public void apply() {
        DaemonLogging.use(DaemonLogging.Format.parse(format));
    }
}
