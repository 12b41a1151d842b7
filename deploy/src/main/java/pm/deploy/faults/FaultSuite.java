package pm.deploy.faults;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import pm.coordinator.migration.CoordinatorFaultPoint;

/**
 * {@code ./pm faults}: the fault-injection suite. Starts a local cluster (embedded ZooKeeper, two
 * coordinators, three agents, each its own JVM), then runs each scenario on fresh processes: an
 * agent killed -9 at every fault point of a migration; the coordinator leader killed -9 in each
 * journal phase; the reply to the leader's commit lost (and the leader cut off from ZooKeeper from
 * then on); the leading server of a ZooKeeper ensemble killed at a commit (on a cluster of its own); an agent's ZooKeeper session expiring; an agent paused past its session and the
 * recovery grace; a migration's target partitioned from gRPC before and after the commit point, and
 * its source cut off from ZooKeeper once it sent the final frame; an agent cut off from ZooKeeper
 * while it runs (with and without checkpoints asked of it meanwhile); a node lost for good; a channel
 * receiver's node lost holding messages accepted since its durable checkpoint; and a channel sender's
 * node lost (recovered from a checkpoint older than what its receiver has). Prints each scenario with
 * PASS or FAIL and one line of reason, then {@code N passed, M failed}; exits 0 only if all passed.
 * {@code --only TEXT} runs the scenarios whose name contains TEXT; {@code --verbose} prints each
 * scenario's steps with their times.
 */
public final class FaultSuite {
    /**
     * The counter as every scenario runs it: long enough to dirty its pages through several pre-copy
     * rounds; it holds after its last tick until the scenario releases it, so it outlives the fault in either tier.
     */
    static final int TICKS = 500;

    static final int SPIN = 10_000;
    static final int MEM_BYTES = 1 << 20;
    static final int HOT_BYTES = 16 << 10;

    /** How a run went. */
    public record Summary(int passed, int failed) {
        public String line() {
            return passed + " passed, " + failed + " failed";
        }
    }

    private FaultSuite() {}

    public static void main(String[] args) throws Exception {
        String only = "";
        boolean verbose = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--only") && i + 1 < args.length) {
                only = args[++i];
            } else if (args[i].equals("--verbose")) {
                verbose = true;
            } else {
                System.err.println("usage: faults [--only TEXT] [--verbose]");
                System.exit(2);
            }
        }
        Summary s = run(System.out, Files.createTempDirectory("pm-faults"), only, verbose);
        System.exit(s.failed() == 0 ? 0 : 1);
    }

    /** Every scenario, in the order they run: the ones that move agents onto relays or lose them come last. */
    static List<Scenario> scenarios() {
        List<Scenario> all = new ArrayList<>();
        List<String> points = List.of(
                "source.precopy",
                "source.frozen",
                "source.final-sent",
                "source.before-commit",
                "source.after-commit",
                "target.precopy",
                "target.final",
                "target.prepared",
                "target.after-commit");
        for (int i = 0; i < points.size(); i++) {
            // The dead agent comes back armed for the next scenario on the same side; an after-commit
            // point is last on its side, because the restart itself may hear the commit.
            String point = points.get(i);
            String next = i + 1 < points.size() ? points.get(i + 1) : "";
            boolean sameSide = next.startsWith(point.substring(0, point.indexOf('.')));
            all.add(new AgentFaultScenario(point, sameSide && !point.endsWith("after-commit") ? next : ""));
        }
        all.add(new CoordinatorFaultScenario(CoordinatorFaultPoint.STARTED));
        all.add(new CoordinatorFaultScenario(CoordinatorFaultPoint.COMMITTED));
        all.add(new CommitReplyLostScenario(false));
        all.add(new CommitReplyLostScenario(true));
        all.add(new EnsembleServerLostScenario());
        all.add(new SessionExpiryScenario());
        all.add(new PausedPastGraceScenario());
        for (String point : List.of("target.precopy", "source.final-sent", "target.after-commit")) {
            all.add(new PartitionedMigrationScenario(PartitionedMigrationScenario.Link.TARGET_GRPC, point));
        }
        all.add(new PartitionedMigrationScenario(
                PartitionedMigrationScenario.Link.SOURCE_ZOOKEEPER, "source.final-sent"));
        all.add(new CutOffScenario(0));
        all.add(new CutOffScenario(300));
        all.add(new NodeLostScenario());
        all.add(new ChannelReceiverLostScenario());
        all.add(new ChannelSenderLostScenario());
        return all;
    }

    /** Runs the scenarios whose name contains {@code only} (all, if empty) on a cluster under {@code dir}, printing to {@code out}. */
    public static Summary run(PrintStream out, Path dir, String only, boolean verbose) throws Exception {
        List<Scenario> chosen =
                scenarios().stream().filter(s -> s.name().contains(only)).toList();
        long t0 = System.nanoTime();
        CounterWorkload counter = new CounterWorkload(TICKS, SPIN, MEM_BYTES, HOT_BYTES);
        out.println("fault-injection suite: " + chosen.size() + " scenarios; cluster logs in " + dir.resolve("logs"));
        counter.reference(); // once, before the cluster competes for the cores
        int passed = 0;
        int failed = 0;
        try (FaultCluster cluster = FaultCluster.start(dir)) {
            out.printf(
                    "cluster up: ZooKeeper, coordinators c1 c2, agents %s (%.1f s)%n",
                    String.join(" ", FaultCluster.AGENTS), seconds(t0));
            if (verbose) {
                cluster.traceTo(out);
            }
            if (!cluster.recoveryProblem().isEmpty()) {
                out.println("note: " + cluster.recoveryProblem());
            }
            int n = 0;
            for (Scenario s : chosen) {
                n++;
                out.printf("[%d/%d] %s%n", n, chosen.size(), s.name());
                long t = System.nanoTime();
                cluster.step("start");
                try {
                    String how = s.run(cluster, counter);
                    passed++;
                    out.printf("      PASS (%.1f s) %s%n", seconds(t), how);
                } catch (Exception e) {
                    failed++;
                    out.printf("      FAIL (%.1f s) %s%n", seconds(t), reason(e));
                    cluster.repair();
                }
            }
        }
        Summary summary = new Summary(passed, failed);
        out.printf("%s (%.0f s)%n", summary.line(), seconds(t0));
        return summary;
    }

    private static String reason(Exception e) {
        String m = e instanceof ScenarioFailure ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.replace('\n', ' ');
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
