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
 * the agent reports it RUNNING and its instruction count grew since that agent's previous round (a
 * copy fenced by a lost ZooKeeper session keeps its RUNNING state but stands still). Two running
 * copies of one process in one round are a violation. Its own daemon thread owns the rounds;
 * {@link #violations} may be read by any thread.
 */
final class RunningSampler implements AutoCloseable {
    private final AgentProbe probe;
    private final Thread thread;
    private final List<String> violations = new ArrayList<>();
    private final Map<String, Long> lastInstructions = new HashMap<>(); // "agent/process" -> retired
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
        Map<String, List<String>> runningOn = new HashMap<>();
        all.forEach((agent, processes) -> processes.forEach((id, info) -> {
            Long before = lastInstructions.put(agent + "/" + id, info.getInstructionsRetired());
            if (info.getState() == ProcessState.PROCESS_STATE_RUNNING && before != null && info.getInstructionsRetired() > before) {
                runningOn.computeIfAbsent(id, k -> new ArrayList<>()).add(agent);
            }
        }));
        synchronized (this) {
            rounds++;
            runningOn.forEach((id, agents) -> {
                if (agents.size() > 1) {
                    violations.add("process " + id + " ran on " + String.join(" and ", agents) + " at once (round " + rounds + ")");
                }
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
