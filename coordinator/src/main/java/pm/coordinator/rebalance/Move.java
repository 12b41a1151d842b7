package pm.coordinator.rebalance;

/** One planned migration: the process, from its owner to a node, its share of demand and its memory. */
public record Move(String processId, String from, String to, double share, long memoryBytes) {
    public Move {
        if (processId.isEmpty() || from.isEmpty() || to.isEmpty() || from.equals(to)) {
            throw new IllegalArgumentException("bad move of '" + processId + "' from '" + from + "' to '" + to + "'");
        }
    }
}
