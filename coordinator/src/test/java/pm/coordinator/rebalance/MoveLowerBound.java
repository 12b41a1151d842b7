package pm.coordinator.rebalance;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The fewest moves that could bring every node within a band of its target load, worked out apart
 * from the planner (for tests to measure it against): each move takes one process off one node and
 * onto one other, so the moves are at least the processes the over-loaded nodes must shed (largest
 * first, each node its own) and at least the processes the under-loaded ones must receive (largest
 * movable ones anywhere first).
 */
public final class MoveLowerBound {
    private MoveLowerBound() {}

    /** {@code movable}: per node, the load shares of the processes that may move off it. */
    public static int of(
            Map<String, Double> loads, Map<String, Double> targets, Map<String, List<Double>> movable, double band) {
        List<Double> anywhere = movable.values().stream()
                .flatMap(List::stream)
                .sorted(Comparator.reverseOrder())
                .toList();
        int off = 0;
        int on = 0;
        for (Map.Entry<String, Double> node : loads.entrySet()) {
            double target = targets.get(node.getKey());
            double excess = node.getValue() - target * (1 + band);
            if (excess > 0) {
                off += fewestSumming(
                        movable.getOrDefault(node.getKey(), List.of()).stream()
                                .sorted(Comparator.reverseOrder())
                                .toList(),
                        excess);
            }
            double deficit = target * (1 - band) - node.getValue();
            if (deficit > 0) {
                on += fewestSumming(anywhere, deficit);
            }
        }
        return Math.max(off, on);
    }

    private static int fewestSumming(List<Double> descending, double atLeast) {
        double sum = 0;
        int k = 0;
        for (double s : descending) {
            if (sum >= atLeast) {
                break;
            }
            sum += s;
            k++;
        }
        return k;
    }
}
