package pm.deploy.monitoring;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression reads, for checking a dashboard's and an alert file's queries
 * against what the daemons export. Not a PromQL parser: it removes what cannot hold a metric name
 * (strings, label matchers, ranges, grouping label lists, offsets, Grafana variables), then keeps
 * each identifier that is neither called (a function or aggregation) nor a keyword. Grafana's
 * {@code label_values(METRIC, LABEL)} variable query gives its METRIC.
 */
final class PromQl {
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^{}]*}");
    private static final Pattern RANGE = Pattern.compile("\\[[^\\[\\]]*]");
    private static final Pattern GROUPING =
            Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^()]*\\)");
    private static final Pattern OFFSET = Pattern.compile("\\boffset\\s+-?\\w+|@\\s*[\\w.()]+");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{[^}]*}|\\$\\w+");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w:.])[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_VALUES =
            Pattern.compile("^\\s*label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*,");
    private static final Set<String> KEYWORDS = Set.of(
            "and",
            "or",
            "unless",
            "bool",
            "by",
            "without",
            "on",
            "ignoring",
            "group_left",
            "group_right",
            "offset",
            "inf",
            "nan");

    private PromQl() {}

    /** The metric names {@code expr} reads; throws if its brackets do not balance. */
    static Set<String> metricNames(String expr) {
        requireBalanced(expr);
        Set<String> names = new TreeSet<>();
        Matcher labelValues = LABEL_VALUES.matcher(expr);
        if (labelValues.find()) {
            names.add(labelValues.group(1));
            return names;
        }
        String s = STRING.matcher(expr).replaceAll(" ");
        s = VARIABLE.matcher(s).replaceAll(" ");
        s = MATCHERS.matcher(s).replaceAll(" ");
        s = RANGE.matcher(s).replaceAll(" ");
        s = GROUPING.matcher(s).replaceAll(" ");
        s = OFFSET.matcher(s).replaceAll(" ");
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            String name = m.group();
            boolean called = s.substring(m.end()).stripLeading().startsWith("(");
            if (!called && !KEYWORDS.contains(name.toLowerCase(Locale.ROOT))) {
                names.add(name);
            }
        }
        return names;
    }

    private static void requireBalanced(String expr) {
        String s = STRING.matcher(expr).replaceAll(" ");
        StringBuilder open = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '(', '[', '{' -> open.append(c);
                case ')', ']', '}' -> {
                    char expected = c == ')' ? '(' : c == ']' ? '[' : '{';
                    if (open.isEmpty() || open.charAt(open.length() - 1) != expected) {
                        throw new IllegalArgumentException("unbalanced '" + c + "' in: " + expr);
                    }
                    open.setLength(open.length() - 1);
                }
                default -> {}
            }
        }
        if (!open.isEmpty()) {
            throw new IllegalArgumentException("unclosed '" + open.charAt(open.length() - 1) + "' in: " + expr);
        }
    }
}
