package pm.coordinator.rebalance;

import java.util.List;
import java.util.Map;

/**
 * A rebalancing round's plan: the moves in the order chosen, every node's load before and as the plan
 * predicts it after, the imbalance both ways, and why there are no (more) moves when the plan stops
 * short of the band. Immutable.
 */
public record Plan(
        ClusterLoad load,
        List<Move> moves,
        Map<String, Double> after,
        double imbalanceBefore,
        double imbalanceAfter,
        String reason) {

    public Plan {
        moves = List.copyOf(moves);
        after = Map.copyOf(after);
    }
}
