package pm.deploy.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** POSIX signals to a child JVM through {@code kill}: SIGSTOP pauses it whole (as a hung host would), SIGCONT resumes it. */
final class Signals {
    private Signals() {}

    static void stop(long pid) throws IOException, InterruptedException {
        send("-STOP", pid);
    }

    static void resume(long pid) throws IOException, InterruptedException {
        send("-CONT", pid);
    }

    private static void send(String signal, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(pid))
                .redirectErrorStream(true)
                .start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill " + signal + " " + pid + " failed: "
                    + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
        }
    }
}
