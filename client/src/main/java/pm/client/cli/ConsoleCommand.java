package pm.client.cli;

import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import pm.client.ClusterClient;
import pm.v1.ConsoleLoginResponse;

/**
 * {@code pmctl console [--viewer]}: asks the leader for a one-time login URL to its web console, with this
 * client's certificate role (or viewer), and prints it; opening it in a browser starts a session.
 */
@Command(
        name = "console",
        description = "Print a one-time login URL for the web console (valid a few minutes, opens one session).")
final class ConsoleCommand extends ClusterCommand {
    @Option(names = "--viewer", description = "A session that only views, even for an operator.")
    boolean viewer;

    @Override
    void run(ClusterClient client, Output output) {
        ConsoleLoginResponse login = client.consoleLogin(viewer ? "viewer" : "");
        if (output.json()) {
            output.print(login, null);
        } else {
            output.stream().println(login.getUrl());
            output.stream()
                    .println("(" + login.getRole() + ", open it once before "
                            + Instant.ofEpochMilli(login.getExpiresMillis()) + ")");
            output.stream().flush();
        }
    }
}
