package pm.coordinator.tracing;

import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Test support: the spans of one trace as a tree, found by name and printed indented with their
 * durations. Built from what an in-memory exporter holds; immutable.
 */
public final class SpanTree {
    private final List<SpanData> spans;
    private final Map<String, SpanData> byId;

    private SpanTree(List<SpanData> spans) {
        this.spans = spans.stream()
                .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
                .toList();
        this.byId = spans.stream().collect(Collectors.toMap(SpanData::getSpanId, s -> s));
    }

    /** The trace of {@code root} among {@code exported}. */
    public static SpanTree of(SpanData root, List<SpanData> exported) {
        return new SpanTree(exported.stream()
                .filter(s -> s.getTraceId().equals(root.getTraceId()))
                .toList());
    }

    /** The only span called {@code name} whose parent is not exported here: a trace's root. */
    public static Optional<SpanData> root(String name, List<SpanData> exported) {
        return exported.stream()
                .filter(s ->
                        s.getName().equals(name) && !s.getParentSpanContext().isValid())
                .findFirst();
    }

    public List<SpanData> spans() {
        return spans;
    }

    public List<SpanData> named(String name) {
        return spans.stream().filter(s -> s.getName().equals(name)).toList();
    }

    /** The one span called {@code name}; fails if there is none or more than one. */
    public SpanData one(String name) {
        List<SpanData> found = named(name);
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " spans named " + name + " in\n" + print());
        }
        return found.get(0);
    }

    /** The span's parent in this trace, if exported. */
    public Optional<SpanData> parent(SpanData span) {
        return Optional.ofNullable(byId.get(span.getParentSpanId()));
    }

    public List<SpanData> children(SpanData span) {
        return spans.stream()
                .filter(s -> s.getParentSpanId().equals(span.getSpanId()))
                .toList();
    }

    public static long durationNanos(SpanData s) {
        return s.getEndEpochNanos() - s.getStartEpochNanos();
    }

    /** Whether {@code child} started no earlier and ended no later than {@code parent}. */
    public static boolean within(SpanData child, SpanData parent) {
        return child.getStartEpochNanos() >= parent.getStartEpochNanos()
                && child.getEndEpochNanos() <= parent.getEndEpochNanos();
    }

    /** The tree, one span a line: indented by depth, its name, its duration in ms (whole µs) and the pm attributes it carries. */
    public String print() {
        StringBuilder out = new StringBuilder();
        spans.stream().filter(s -> parent(s).isEmpty()).forEach(r -> print(r, 0, out));
        return out.toString();
    }

    private void print(SpanData span, int depth, StringBuilder out) {
        String attributes = span.getAttributes().asMap().entrySet().stream()
                .filter(e -> e.getKey().getKey().startsWith("pm.precopy")
                        || e.getKey().getKey().equals("pm.bytes")
                        || e.getKey().getKey().equals("pm.pages"))
                .map(e -> e.getKey().getKey().substring("pm.".length()) + "=" + e.getValue())
                .sorted()
                .collect(Collectors.joining(" "));
        out.append("  ".repeat(depth))
                .append(span.getName())
                .append(String.format(" %.3f ms", durationNanos(span) / 1000 / 1e3)) // whole µs, as pm reports
                .append(span.getStatus().getStatusCode() == io.opentelemetry.api.trace.StatusCode.ERROR ? " ERROR" : "")
                .append(attributes.isEmpty() ? "" : " [" + attributes + "]")
                .append('\n');
        children(span).forEach(c -> print(c, depth + 1, out));
    }
}
