package pm.deploy.faults;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import pm.client.Input;
import pm.client.TransferProgress;
import pm.v1.ClusterProcess;
import pm.v1.LogChunk;
import pm.v1.ProcessInfo;
import pm.v1.ProcessState;

/**
 * The invariants a scenario ends with, read through the real APIs: the process has one ownership
 * record (SDK {@code List}), exactly one agent holds a live copy and it is the record's owner (the
 * agents' own {@code List}), and once it has run to the end its output ends exactly as the
 * uninterrupted reference run's does. Stateless.
 */
final class ExactlyOnce {
    static final Duration SETTLE = Duration.ofSeconds(90);
    static final Duration FINISH = Duration.ofSeconds(150);
    private static final int STABLE_ROUNDS = 5;

    private ExactlyOnce() {}

    /**
     * Waits until {@code id} is settled on one node (no migration in flight, the owner has it RUNNING
     * or EXITED, no other agent has it) for several polls in a row; returns the owner.
     */
    static String awaitSettled(FaultCluster cluster, String id) throws InterruptedException {
        int[] stable = {0};
        String[] last = {""};
        try {
            return Poll.value(id + " to settle on exactly one node", SETTLE, () -> {
                Optional<String> owner = settledOwner(cluster, id);
                String now = owner.orElse("");
                stable[0] = owner.isPresent() && now.equals(last[0]) ? stable[0] + 1 : 0;
                last[0] = now;
                return stable[0] >= STABLE_ROUNDS ? owner : Optional.empty();
            });
        } catch (ScenarioFailure e) {
            throw new ScenarioFailure(e.getMessage() + "; last seen: " + describe(cluster, id));
        }
    }

    /** The record's owner, epoch and state, and every agent's copy: what a failure message shows. */
    static String describe(FaultCluster cluster, String id) {
        StringBuilder b = new StringBuilder();
        try {
            ClusterProcess r = ownershipRecord(cluster, id);
            b.append("record ")
                    .append(r.getNode())
                    .append("@")
                    .append(r.getEpoch())
                    .append(" ")
                    .append(r.getState());
        } catch (RuntimeException e) {
            b.append("record: ").append(e.getMessage());
        }
        cluster.probe().snapshot(5_000).forEach((agent, processes) -> {
            ProcessInfo p = processes.get(id);
            b.append("; ").append(agent).append(": ").append(p == null ? "none" : p.getState() + "@" + p.getEpoch());
        });
        return b.toString();
    }

    private static Optional<String> settledOwner(FaultCluster cluster, String id) {
        String owner = ownershipRecord(cluster, id).getNode();
        for (Map.Entry<String, Map<String, ProcessInfo>> agent :
                cluster.probe().snapshot(5_000).entrySet()) {
            ProcessInfo copy = agent.getValue().get(id);
            boolean isOwner = agent.getKey().equals(owner);
            if (isOwner != (copy != null)) {
                return Optional.empty();
            }
            if (copy != null
                    && copy.getState() != ProcessState.PROCESS_STATE_RUNNING
                    && copy.getState() != ProcessState.PROCESS_STATE_EXITED) {
                return Optional.empty();
            }
        }
        return cluster.agent(owner).isAlive() ? Optional.of(owner) : Optional.empty();
    }

    /** Waits until {@code id}'s record names a checkpoint held by two nodes (one a recovery can start from); returns the record. */
    static ClusterProcess awaitDurableCheckpoint(FaultCluster cluster, String id) throws InterruptedException {
        return Poll.value("a durable checkpoint of " + id + " (held by two nodes)", Duration.ofMinutes(2), () -> {
            ClusterProcess p = ownershipRecord(cluster, id);
            return p.getCheckpointNodesCount() >= 2 ? Optional.of(p) : Optional.empty();
        });
    }

    /** The one ownership record of {@code id}; fails the scenario if there is none or more than one. */
    static ClusterProcess ownershipRecord(FaultCluster cluster, String id) {
        List<ClusterProcess> records = cluster.client().list().stream()
                .filter(p -> p.getProcessId().equals(id))
                .toList();
        if (records.size() != 1) {
            throw new ScenarioFailure(records.size() + " ownership records for " + id + " (expected one)");
        }
        return records.get(0);
    }

    /**
     * Releases the counter (its fault has fired), waits until {@code id} has run to the end on
     * {@code owner}, checks that it still exists exactly once there, and compares the decisive end of
     * its output with the reference run's.
     */
    static void awaitExactOutput(FaultCluster cluster, String id, String owner, CounterWorkload workload)
            throws InterruptedException {
        Poll.until("the release of " + id + " on " + owner, SETTLE, () -> released(cluster, id));
        Poll.until(
                id + " to run to the end on " + owner,
                FINISH,
                () -> cluster.probe()
                        .find(cluster.agent(owner), id)
                        .map(p -> {
                            if (p.getState() == ProcessState.PROCESS_STATE_FAILED) {
                                throw new ScenarioFailure(id + " failed on " + owner + ": " + p.getFailure());
                            }
                            return p.getState() == ProcessState.PROCESS_STATE_EXITED;
                        })
                        .orElseThrow(() -> new ScenarioFailure(id + " vanished from its owner " + owner)));
        cluster.step(id + " ran to the end on " + owner);
        String settled = awaitSettled(cluster, id);
        if (!settled.equals(owner)) {
            throw new ScenarioFailure(id + " ended on " + owner + " but its record names " + settled);
        }
        StringBuilder out = new StringBuilder();
        cluster.client().logs(id, (LogChunk c) -> {
            if (c.getStream() == LogChunk.Stream.STREAM_STDOUT) {
                out.append(c.getData().toString(StandardCharsets.UTF_8));
            }
        });
        String expected = CounterWorkload.verdictLines(workload.reference());
        String got = CounterWorkload.verdictLines(out.toString());
        if (!got.equals(expected)) {
            throw new ScenarioFailure("output of " + id + " differs from the uninterrupted run: expected "
                    + oneLine(expected) + " but got " + oneLine(got));
        }
    }

    /** Writes the file the counter holds for; false while the cluster refuses (the process is between nodes). */
    private static boolean released(FaultCluster cluster, String id) {
        try {
            cluster.client().writeFile(id, CounterWorkload.RELEASE, Input.of(new byte[0]), TransferProgress.NONE);
            return true;
        } catch (RuntimeException notYet) {
            return false;
        }
    }

    /** Fails the scenario if the sampler ever saw two running copies. */
    static void requireNeverTwice(RunningSampler sampler) {
        List<String> v = sampler.violations();
        if (!v.isEmpty()) {
            throw new ScenarioFailure(v.size() + " two-node sightings; first: " + v.get(0));
        }
    }

    /** Kills {@code id} through the SDK so the next scenario starts on empty agents. */
    static void cleanUp(FaultCluster cluster, String id) {
        try {
            cluster.client().kill(id);
        } catch (RuntimeException e) {
            // best effort: the process may be gone already
        }
    }

    private static String oneLine(String s) {
        List<String> lines = new ArrayList<>(s.lines().toList());
        return "[" + String.join(" | ", lines) + "]";
    }
}
