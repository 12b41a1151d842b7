package pm.client.cli;

import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine.Option;
import pm.client.ClusterClient;
import pm.client.EventOptions;
import pm.client.ListFilter;
import pm.client.StreamHandle;
import pm.v1.ClusterProcess;

/**
 * {@code --[no-]progress} of the commands that wait on one long call (migrate, drain): on by default only on
 * a terminal, so that pipes and logs get nothing on stderr unless they ask. A picocli mixin; its
 * {@link Progress} is an {@link ActivityMeter} fed by the cluster's event stream, or nothing.
 */
final class ProgressOption {
    @Option(
            names = "--progress",
            negatable = true,
            description = "Show elapsed time and the migrations' steps on stderr (default: only on a terminal).")
    Boolean progress;

    /** The progress of moving {@code id} (to {@code node}, or where placement picks when empty). */
    Progress migrate(Pmctl pmctl, ClusterClient client, String id, String node) {
        return show(pmctl)
                ? start(
                        pmctl,
                        client,
                        "migrate " + id,
                        Set.of(id),
                        0,
                        node.isEmpty() ? "asked to move it" : "asked to move it to " + node)
                : Progress.OFF;
    }

    /** The progress of draining {@code node}: a bar over the processes the drain will try to move. */
    Progress drain(Pmctl pmctl, ClusterClient client, String node) {
        if (!show(pmctl)) {
            return Progress.OFF;
        }
        // What the coordinator's Drainer moves: the node's processes that have not ended and are not pinned.
        Set<String> toMove = client.list(ListFilter.onNode(node)).stream()
                .filter(p -> !WaitCommand.ended(p) && !p.getPlacement().getPinned())
                .map(ClusterProcess::getProcessId)
                .collect(Collectors.toSet());
        return start(
                pmctl,
                client,
                "drain " + node,
                toMove,
                toMove.size(),
                toMove.size() + (toMove.size() == 1 ? " process" : " processes") + " to move");
    }

    private boolean show(Pmctl pmctl) {
        return progress == null ? pmctl.terminal() : progress;
    }

    private static Progress start(
            Pmctl pmctl, ClusterClient client, String title, Set<String> processes, int total, String phase) {
        ActivityMeter meter =
                new ActivityMeter(title, processes, total, phase, pmctl.err(), pmctl.terminal(), System::nanoTime);
        EventOptions events = EventOptions.newOnly();
        if (processes.size() == 1) {
            events = events.about(processes.iterator().next());
        }
        return new Shown(meter, client.async().events(events, meter::event));
    }

    /** What a command shows while its call runs; closing it stops showing (and clears a spinner line). */
    interface Progress extends AutoCloseable {
        Progress OFF = new Progress() {
            @Override
            public void finish(String last) {}

            @Override
            public void close() {}
        };

        /** The call has answered: {@code last} says how it went. */
        void finish(String last);

        @Override
        void close();
    }

    private record Shown(ActivityMeter meter, StreamHandle events) implements Progress {
        @Override
        public void finish(String last) {
            meter.finish(last);
        }

        @Override
        public void close() {
            events.close();
            meter.close();
        }
    }
}
