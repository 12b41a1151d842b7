package pm.client;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Which processes {@link ClusterClient#list(ListFilter)} returns: those carrying every label given and,
 * if a node is given, owned by it. {@link #all()} matches every process. Immutable; the {@code with}
 * methods return a copy.
 */
public final class ListFilter {
    private static final ListFilter ALL = new ListFilter(Map.of(), null);

    private final Map<String, String> labels;
    private final String node;

    private ListFilter(Map<String, String> labels, String node) {
        this.labels = Map.copyOf(labels);
        this.node = node;
    }

    /** Every process. */
    public static ListFilter all() {
        return ALL;
    }

    /** The processes carrying label {@code key=value}. */
    public static ListFilter label(String key, String value) {
        return ALL.withLabel(key, value);
    }

    /** The processes carrying all of {@code labels}. */
    public static ListFilter labels(Map<String, String> labels) {
        return ALL.withLabels(labels);
    }

    /** The processes owned by {@code node}. */
    public static ListFilter onNode(String node) {
        return ALL.withNode(node);
    }

    public ListFilter withLabel(String key, String value) {
        return withLabels(Map.of(key, value));
    }

    public ListFilter withLabels(Map<String, String> more) {
        Map<String, String> all = new LinkedHashMap<>(labels);
        all.putAll(more);
        return new ListFilter(all, node);
    }

    public ListFilter withNode(String name) {
        Objects.requireNonNull(name, "node");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a node name cannot be blank; use ListFilter.all() for any node");
        }
        return new ListFilter(labels, name);
    }

    /** The labels a process must carry, all of them. */
    public Map<String, String> labels() {
        return labels;
    }

    /** The node that must own the process, if one is named. */
    public Optional<String> node() {
        return Optional.ofNullable(node);
    }

    @Override
    public String toString() {
        return "labels " + labels + (node == null ? "" : " on " + node);
    }
}
