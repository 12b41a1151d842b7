package pm.client.cli;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import pm.client.ClusterClient;
import pm.client.NotFoundException;
import pm.v1.ClusterProcess;
import pm.v1.ProcessState;

/** {@code pmctl wait ID}: returns when the process has ended, with its exit status as pmctl's. */
@Command(name = "wait", description = "Wait until a process ends; exit with its exit status (1 if it failed).")
final class WaitCommand extends ClusterCommand {
    /** How often the record is read: an ended process is noticed within this much. */
    static final Duration POLL = Duration.ofMillis(250);

    @Parameters(paramLabel = "ID", description = "The process.")
    String id;

    @Override
    void run(ClusterClient client, Output output) {
        throw ProgramEnded.of(awaitEnd(client, id));
    }

    /** Whether {@code p} exited or failed (its owner's live view, or the record's end time). */
    static boolean ended(ClusterProcess p) {
        return p.getEndedMillis() > 0
                || p.getState() == ProcessState.PROCESS_STATE_EXITED
                || p.getState() == ProcessState.PROCESS_STATE_FAILED;
    }

    /** The process once it has ended (exited, failed or been killed); polls its record, no deadline. */
    static ClusterProcess awaitEnd(ClusterClient client, String id) {
        while (true) {
            ClusterProcess p;
            try {
                p = client.get(id);
            } catch (NotFoundException e) {
                // removed while we waited: killed (kill deletes the record)
                return ClusterProcess.newBuilder()
                        .setProcessId(id)
                        .setState(ProcessState.PROCESS_STATE_KILLED)
                        .build();
            }
            if (ended(p) || p.getState() == ProcessState.PROCESS_STATE_KILLED) {
                return p;
            }
            LockSupport.parkNanos(POLL.toNanos());
        }
    }
}
