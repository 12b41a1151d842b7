package pm.client.cli;

import java.io.PrintStream;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import pm.client.ClusterClient;
import pm.v1.RebalancePlan;

/**
 * {@code pmctl rebalance [--dry-run]}: one rebalancing round now. Prints each node's load before and
 * after, the moves, and one line with the imbalance both ways (or why nothing moves); a round that ran
 * also lists what moved and what did not (then exit 1, as for a drain that left processes behind).
 */
@Command(
        name = "rebalance",
        description = "Plan one rebalancing round and run it (with --dry-run: print the plan only).")
final class RebalanceCommand extends ClusterCommand {
    @Option(names = "--dry-run", description = "Print the plan; move nothing.")
    boolean dryRun;

    @Override
    void run(ClusterClient client, Output output) {
        RebalancePlan plan = dryRun ? client.planRebalance() : client.rebalance();
        if (output.json()) {
            output.print(plan, null);
        } else {
            PrintStream out = output.stream();
            out.print(Views.nodeLoads(plan).render());
            if (plan.getMovesCount() > 0) {
                out.println();
                out.print(Views.plannedMoves(plan.getMovesList()).render());
            }
            out.println();
            out.println(summary(plan));
            if (plan.getExecuted() && plan.getDoneCount() > 0) {
                out.println();
                out.print(Views.migrations(plan.getDoneList()).render());
            }
            plan.getFailedList().forEach(f -> out.println("not moved: " + Views.oneLine(f)));
            out.flush();
        }
        if (plan.getFailedCount() > 0) {
            throw new RebalanceIncompleteException(plan.getFailedCount());
        }
    }

    static String summary(RebalancePlan plan) {
        String imbalance = plan.getMovesCount() == 0
                ? String.format(Locale.ROOT, "imbalance %s", Views.percent(plan.getImbalanceBefore()))
                : String.format(
                        Locale.ROOT,
                        "imbalance %s -> %s",
                        Views.percent(plan.getImbalanceBefore()),
                        Views.percent(plan.getImbalanceAfter()));
        String moves = plan.getMovesCount() + (plan.getMovesCount() == 1 ? " move" : " moves");
        String what = plan.getExecuted()
                ? String.format(
                        Locale.ROOT, "%s, %d done, %d failed", moves, plan.getDoneCount(), plan.getFailedCount())
                : moves + " planned (dry run)";
        return imbalance + "; " + what + (plan.getReason().isEmpty() ? "" : "; " + Views.oneLine(plan.getReason()));
    }

    /** A round whose moves did not all happen is a failure for scripts (exit 1), though it reported everything. */
    static final class RebalanceIncompleteException extends RuntimeException {
        RebalanceIncompleteException(int failed) {
            super(failed + " planned move(s) failed");
        }
    }
}
