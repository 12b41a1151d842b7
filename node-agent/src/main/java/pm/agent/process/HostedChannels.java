package pm.agent.process;

import java.util.ArrayList;
import java.util.List;
import pm.agent.channel.LocalProcesses;
import pm.runtime.process.WasiProcess;
import pm.runtime.sched.ScheduledProcess;
import pm.v1.ProcessState;

/**
 * The channel layer's view of the {@link ProcessHost}: reads the volatile fields of each
 * {@link HostedProcess} without its lock (a migration holds that lock for seconds; deliveries must
 * not wait for it). That is safe because whatever a copy is in, sealing its channels is what stops
 * acceptance, atomically with the capture that travels: a stale read finds either a sealed copy
 * (RETRY_LATER) or no copy (NOT_HERE or RETRY_LATER).
 */
public final class HostedChannels implements LocalProcesses {
    private final ProcessHost host;

    public HostedChannels(ProcessHost host) {
        this.host = host;
    }

    @Override
    public Receiver receiver(String processId) {
        HostedProcess h = host.find(processId).orElse(null);
        if (h == null) {
            return new Absent();
        }
        ProcessState state = h.state();
        if (state == ProcessState.PROCESS_STATE_EXITED || state == ProcessState.PROCESS_STATE_FAILED) {
            return new Ended(); // also one brought back by a restart or a recovery, which holds no process
        }
        WasiProcess p = h.process;
        if (p == null) {
            return new Busy("process " + processId + " is " + state);
        }
        return switch (state) {
            case PROCESS_STATE_RUNNING, PROCESS_STATE_FROZEN, PROCESS_STATE_MIGRATING ->
                new Present(
                        p.channels(),
                        () -> {
                            ScheduledProcess handle = h.handle;
                            if (handle != null) {
                                handle.wake();
                            }
                        },
                        h.durability);
            case PROCESS_STATE_KILLED -> new Absent();
            // PREPARED: a migration's target copy, which dies if the migration aborts.
            default -> new Busy("process " + processId + " is " + state);
        };
    }

    @Override
    public List<Sender> senders() {
        List<Sender> out = new ArrayList<>();
        for (HostedProcess h : host.all()) {
            WasiProcess p = h.process;
            if (p == null || !p.channels().hasOutgoing()) {
                continue;
            }
            switch (h.state()) {
                // An ended process's last messages still go; a PREPARED copy waits for its commit.
                case PROCESS_STATE_RUNNING,
                        PROCESS_STATE_FROZEN,
                        PROCESS_STATE_MIGRATING,
                        PROCESS_STATE_EXITED,
                        PROCESS_STATE_FAILED -> out.add(new Sender(h.id, h.epoch, p.channels()));
                default -> {}
            }
        }
        return out;
    }
}
