package pm.coordinator.placement;

import java.util.Map;
import java.util.Set;
import pm.v1.ProcessSpec;

/**
 * What a process needs from a node: memory, node labels, optionally one exact node (a pin), and
 * nodes it must not go to (the current owner, for a migration).
 */
public record PlacementRequest(long memoryBytes, Map<String, String> nodeLabels, String pin, Set<String> exclude) {
    /** What a process without a memory limit is assumed to need. */
    public static final long DEFAULT_MEMORY_BYTES = 16L << 20;

    public PlacementRequest {
        nodeLabels = Map.copyOf(nodeLabels);
        exclude = Set.copyOf(exclude);
        pin = pin == null ? "" : pin;
    }

    /** The memory {@code spec} may use: its page limit, else {@link #DEFAULT_MEMORY_BYTES}. */
    public static long memoryOf(ProcessSpec spec) {
        int pages = spec.getLimits().getMemoryPages();
        return pages > 0 ? pages * 65536L : DEFAULT_MEMORY_BYTES;
    }

    public static PlacementRequest of(ProcessSpec spec, pm.v1.Placement placement, Set<String> exclude) {
        return new PlacementRequest(memoryOf(spec), placement.getNodeLabelsMap(), placement.getNode(), exclude);
    }
}
