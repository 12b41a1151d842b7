package pm.client.cli;

import pm.v1.ClusterProcess;
import pm.v1.ProcessState;

/**
 * The process a command waited for has ended: pmctl exits with the program's own status (as a shell
 * runs a program), saying something only if it did not exit by itself. Not an error of pmctl's.
 */
final class ProgramEnded extends RuntimeException {
    /** What a shell reports for a program killed by SIGKILL: 128 + 9. */
    static final int KILLED = 137;

    private final int exitCode;

    private ProgramEnded(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    /** How {@code p} ended, as an exit code (an exited program's status, 1 for a failure) and a line unless it exited. */
    static ProgramEnded of(ClusterProcess p) {
        if (p.getState() == ProcessState.PROCESS_STATE_EXITED) {
            int status = p.hasInfo() ? p.getInfo().getExitStatus() : p.getExitStatus();
            return new ProgramEnded(status >= 0 && status <= 255 ? status : 1, null);
        }
        if (p.getState() == ProcessState.PROCESS_STATE_KILLED) {
            return new ProgramEnded(KILLED, "process " + p.getProcessId() + " was killed");
        }
        String why =
                p.hasInfo() && !p.getInfo().getFailure().isEmpty() ? p.getInfo().getFailure() : p.getFailure();
        return new ProgramEnded(ExitCodes.FAILED, "process " + p.getProcessId() + " failed: " + Views.oneLine(why));
    }

    int exitCode() {
        return exitCode;
    }

    /** The line to print, or null when the program exited by itself. */
    String line() {
        return getMessage();
    }
}
