package pm.deploy.faults;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import pm.v1.ProcessInfo;
import pm.v1.ProcessState;

/**
 * Watches every agent through a scenario for the one thing that must never be seen: a process
 * running on two nodes at once. Each round lists every live agent; a copy counts as running when
 * the agent reports it RUNNING and its instruction count grew since the previous round, in which
 * that agent answered too (a copy fenced by a lost ZooKeeper session keeps its RUNNING state but
 * stands still). A round asks
 * the agents one after the other, so a live migration's hand-over can fall between two answers: the
 * source (epoch e) ran before the freeze, the target (e + 1) after. What cannot be a hand-over is a
 * violation: two copies at one epoch running in one round, or a copy at an older epoch running in a
 * round after a newer epoch was seen running. Its own daemon thread owns the rounds;
 * {@link #violations} may be read by any thread.
 */
final class RunningSampler implements AutoCloseable {
    private final AgentProbe probe;
    private final Thread thread;
    private final List<String> violations = new ArrayList<>();
    private final Map<String, long[]> lastSeen = new HashMap<>(); // "agent/process" -> {round, instructions retired}
    private final Map<String, Long> newestRunning =
            new HashMap<>(); // process -> the newest epoch seen running in a round
    private volatile boolean running = true;
    private int rounds;

    RunningSampler(AgentProbe probe) {
        this.probe = probe;
        this.thread = new Thread(this::loop, "pm-faults-sampler");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void loop() {
        while (running) {
            round();
            try {
                Thread.sleep(Poll.INTERVAL.toMillis()); // the sampling period
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void round() {
        Map<String, Map<String, ProcessInfo>> all = probe.snapshot(1_000);
        Map<String, List<ProcessInfo>> running = new HashMap<>();
        Map<String, List<String>> runningOn = new HashMap<>();
        int round = rounds + 1;
        all.forEach((agent, processes) -> processes.forEach((id, info) -> {
            long[] before = lastSeen.put(agent + "/" + id, new long[] {round, info.getInstructionsRetired()});
            // Growth counts only between two consecutive rounds: across a round the agent missed (cut off, stopped),
            // the count may have grown before the blackout began.
            if (info.getState() == ProcessState.PROCESS_STATE_RUNNING
                    && before != null
                    && before[0] == round - 1
                    && info.getInstructionsRetired() > before[1]) {
                running.computeIfAbsent(id, k -> new ArrayList<>()).add(info);
                runningOn.computeIfAbsent(id, k -> new ArrayList<>()).add(agent + "@" + info.getEpoch());
            }
        }));
        synchronized (this) {
            rounds++;
            running.forEach((id, copies) -> {
                long newest =
                        copies.stream().mapToLong(ProcessInfo::getEpoch).max().orElse(0);
                long distinct = copies.stream()
                        .mapToLong(ProcessInfo::getEpoch)
                        .distinct()
                        .count();
                Long earlier = newestRunning.get(id);
                if (distinct < copies.size()) {
                    violations.add("process " + id + " ran on " + String.join(" and ", runningOn.get(id))
                            + " at one epoch (round " + rounds + ")");
                } else if (earlier != null && copies.stream().anyMatch(c -> c.getEpoch() < earlier)) {
                    violations.add("process " + id + " ran on " + String.join(" and ", runningOn.get(id))
                            + " after epoch " + earlier + " had run (round " + rounds + ")");
                }
                newestRunning.merge(id, newest, Math::max);
            });
        }
    }

    synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    synchronized int rounds() {
        return rounds;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5_000);
    }
}
