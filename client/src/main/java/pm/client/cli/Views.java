package pm.client.cli;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import pm.v1.CheckpointInfo;
import pm.v1.ClusterEvent;
import pm.v1.ClusterProcess;
import pm.v1.MigrationReport;
import pm.v1.NodeLoad;
import pm.v1.NodeStatus;
import pm.v1.PlannedMove;
import pm.v1.ProcessState;
import pm.v1.RebalancePlan;

/** How the cluster's messages read in a table: the columns of each kind of row and the units of each cell. */
final class Views {
    private static final long PAGE_BYTES = 64 * 1024;

    private Views() {}

    static Table processes(Iterable<ClusterProcess> processes) {
        return processes(processes, System.currentTimeMillis());
    }

    static Table processes(Iterable<ClusterProcess> processes, long nowMillis) {
        Table t = new Table("ID", "NODE", "STATE", "AGE", "EPOCH", "MEMORY", "INSTRUCTIONS", "LABELS");
        for (ClusterProcess p : processes) {
            boolean live = p.hasInfo();
            t.add(
                    p.getProcessId(),
                    p.getNode(),
                    state(p),
                    p.getCreatedMillis() == 0 ? "-" : age(nowMillis - p.getCreatedMillis()),
                    Long.toString(p.getEpoch()),
                    live ? bytes(memoryBytes(p)) : "-",
                    live ? Long.toString(p.getInfo().getInstructionsRetired()) : "-",
                    labels(p.getLabelsMap()));
        }
        return t;
    }

    /** The process's linear memory as its owner last saw it (0 if the owner did not answer). */
    static long memoryBytes(ClusterProcess p) {
        return p.getInfo().getMemoryPages() * PAGE_BYTES;
    }

    static Table nodes(Iterable<NodeStatus> nodes) {
        Table t = new Table("NAME", "ADDRESS", "STATE", "PROCESSES", "OWNED", "MEMORY", "CAPACITY", "CPU", "LABELS");
        for (NodeStatus n : nodes) {
            var r = n.getRecord();
            t.add(
                    r.getName(),
                    r.getAddress(),
                    n.getDraining() ? "draining" : "active",
                    Integer.toString(r.getProcesses()),
                    Integer.toString(n.getOwnedProcesses()),
                    bytes(r.getMemoryBytes()),
                    bytes(r.getCapacityBytes()),
                    String.format(Locale.ROOT, "%.0f%%", r.getCpuLoad() * 100),
                    labels(r.getLabelsMap()));
        }
        return t;
    }

    static Table migrations(Iterable<MigrationReport> reports) {
        Table t = new Table("PROCESS", "FROM", "TO", "EPOCH", "ROUNDS", "SENT", "DOWNTIME", "TOTAL");
        for (MigrationReport m : reports) {
            t.add(
                    m.getProcessId(),
                    m.getSourceNode(),
                    m.getTargetNode(),
                    Long.toString(m.getEpoch()),
                    Integer.toString(m.getTransfer().getRounds()),
                    bytes(m.getTransfer().getBytesSent()),
                    micros(m.getTransfer().getDowntimeMicros()),
                    micros(m.getTotalMicros()));
        }
        return t;
    }

    /** Each node's load and target before a rebalancing round, and its load as the plan predicts it after. */
    static Table nodeLoads(RebalancePlan plan) {
        Table t = new Table("NODE", "PROCESSES", "MEMORY", "CPU", "LOAD", "TARGET", "AFTER", "PROCESSES AFTER");
        for (int i = 0; i < plan.getBeforeCount(); i++) {
            NodeLoad b = plan.getBefore(i);
            NodeLoad a = i < plan.getAfterCount() ? plan.getAfter(i) : b;
            t.add(
                    b.getNode(),
                    Integer.toString(b.getProcesses()),
                    bytes(b.getMemoryBytes()),
                    rate(b.getCpuRate()),
                    percent(b.getLoad()),
                    percent(b.getTarget()),
                    percent(a.getLoad()),
                    Integer.toString(a.getProcesses()));
        }
        return t;
    }

    static Table plannedMoves(Iterable<PlannedMove> moves) {
        Table t = new Table("PROCESS", "FROM", "TO", "LOAD", "MEMORY");
        for (PlannedMove m : moves) {
            t.add(m.getProcessId(), m.getFrom(), m.getTo(), percent(m.getLoad()), bytes(m.getMemoryBytes()));
        }
        return t;
    }

    static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f%%", share * 100);
    }

    /** Instructions per second, in millions. */
    static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%.1f M/s", perSecond / 1e6);
    }

    static Table checkpoint(CheckpointInfo c) {
        return new Table("PROCESS", "CHECKPOINT", "BASE", "BYTES", "NEW", "PAGES", "TIME")
                .add(
                        c.getProcessId(),
                        c.getCheckpointId(),
                        c.getBaseCheckpointId().isEmpty() ? "-" : c.getBaseCheckpointId(),
                        bytes(c.getBytes()),
                        bytes(c.getNewBytes()),
                        Long.toString(c.getPages()),
                        micros(c.getNanos() / 1000));
    }

    /** One line per event, so `pmctl events` can be piped through grep. */
    static String event(ClusterEvent e) {
        String kind = e.getKind().name().replaceFirst("^KIND_", "").toLowerCase(Locale.ROOT);
        StringBuilder line =
                new StringBuilder(Instant.ofEpochMilli(e.getTimeMillis()).toString()).append("  ");
        if (e.getIndex() != 0) {
            line.append('#').append(e.getIndex()).append("  ");
        }
        line.append(kind);
        if (!e.getProcessId().isEmpty()) {
            line.append("  process=").append(e.getProcessId());
        }
        if (!e.getNode().isEmpty()) {
            line.append("  node=").append(e.getNode());
        }
        if (e.getEpoch() != 0) {
            line.append("  epoch=").append(e.getEpoch());
        }
        if (!e.getDetail().isEmpty()) {
            line.append("  ").append(oneLine(e.getDetail()));
        }
        return line.toString();
    }

    /**
     * The state as a person needs it: an ended process with its status; a process whose owner did not
     * answer is "unknown", with why, rather than the record's stale word; one whose unread output holds it
     * in a write (output backpressure) says so.
     */
    static String state(ClusterProcess p) {
        ProcessState s = p.getState();
        if (s == ProcessState.PROCESS_STATE_EXITED) {
            return "exited(" + (p.hasInfo() ? p.getInfo().getExitStatus() : p.getExitStatus()) + ")";
        }
        if (s == ProcessState.PROCESS_STATE_FAILED || s == ProcessState.PROCESS_STATE_KILLED) {
            return state(s);
        }
        return switch (p.getOwnerHealth()) {
            case OWNER_HEALTH_NOT_ANSWERING -> "unknown:node-not-answering";
            case OWNER_HEALTH_LOST -> "unknown:node-lost";
            default -> p.getInfo().getOutputWaiting() ? state(s) + ":output-waiting" : state(s);
        };
    }

    /** A duration the way ps shows one: the largest unit or two. */
    static String age(long millis) {
        long s = Math.max(0, millis / 1000);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m" + (s % 60 == 0 ? "" : s % 60 + "s");
        }
        if (s < 86_400) {
            return s / 3600 + "h" + (s % 3600 / 60 == 0 ? "" : s % 3600 / 60 + "m");
        }
        return s / 86_400 + "d" + (s % 86_400 / 3600 == 0 ? "" : s % 86_400 / 3600 + "h");
    }

    static String state(ProcessState s) {
        return s == ProcessState.UNRECOGNIZED
                ? "unknown"
                : s.name().replaceFirst("^PROCESS_STATE_", "").toLowerCase(Locale.ROOT);
    }

    static String labels(Map<String, String> labels) {
        return labels.isEmpty()
                ? "-"
                : new TreeMap<>(labels)
                        .entrySet().stream()
                                .map(e -> e.getKey() + "=" + e.getValue())
                                .collect(Collectors.joining(","));
    }

    static String bytes(long n) {
        return pm.common.text.ByteCounts.human(n);
    }

    static String micros(long us) {
        if (us < 1000) {
            return us + " us";
        }
        if (us < 1_000_000) {
            return String.format(Locale.ROOT, "%.1f ms", us / 1000.0);
        }
        return String.format(Locale.ROOT, "%.2f s", us / 1_000_000.0);
    }

    static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
