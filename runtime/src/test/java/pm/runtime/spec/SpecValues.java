package pm.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Reads and compares spec-test values as wast2json writes them (integers as unsigned decimal bits). */
final class SpecValues {
    private SpecValues() {}

    static long[] parseAll(JsonNode args) {
        long[] out = new long[args.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = parse(args.get(i));
        }
        return out;
    }

    static long parse(JsonNode v) {
        String type = v.get("type").asText();
        String text = v.path("value").asText();
        switch (type) {
            case "i32":
            case "f32":
                return Integer.parseUnsignedInt(text);
            case "i64":
            case "f64":
                return Long.parseUnsignedLong(text);
            case "externref":
            case "funcref":
                return text.equals("null") ? -1L : Long.parseLong(text);
            default:
                throw new IllegalArgumentException("unsupported value type " + type);
        }
    }

    /** Null if {@code actual} matches every expected value, else what differs. */
    static String compare(JsonNode expected, long[] actual) {
        if (expected.size() != actual.length) {
            return "expected " + expected.size() + " results, got " + actual.length;
        }
        for (int i = 0; i < actual.length; i++) {
            JsonNode e = expected.get(i);
            String type = e.get("type").asText();
            String text = e.path("value").asText();
            long a = actual[i];
            boolean ok;
            switch (type) {
                case "i32":
                    ok = (int) a == Integer.parseUnsignedInt(text);
                    break;
                case "i64":
                    ok = a == Long.parseUnsignedLong(text);
                    break;
                case "f32":
                    if (text.equals("nan:canonical")) {
                        ok = ((int) a & 0x7FFF_FFFF) == 0x7FC0_0000;
                    } else if (text.equals("nan:arithmetic")) {
                        ok = ((int) a & 0x7FC0_0000) == 0x7FC0_0000;
                    } else {
                        ok = (int) a == Integer.parseUnsignedInt(text);
                    }
                    break;
                case "f64":
                    if (text.equals("nan:canonical")) {
                        ok = (a & Long.MAX_VALUE) == 0x7FF8_0000_0000_0000L;
                    } else if (text.equals("nan:arithmetic")) {
                        ok = (a & 0x7FF8_0000_0000_0000L) == 0x7FF8_0000_0000_0000L;
                    } else {
                        ok = a == Long.parseUnsignedLong(text);
                    }
                    break;
                case "externref":
                    ok = text.equals("null") ? a == -1L : a == Long.parseLong(text);
                    break;
                case "funcref":
                    ok = text.equals("null") ? a == -1L : a != -1L;
                    break;
                default:
                    return "unsupported expected type " + type;
            }
            if (!ok) {
                return "result " + i + ": expected " + type + " " + text + ", got " + show(actual);
            }
        }
        return null;
    }

    static String show(long[] values) {
        List<String> out = new ArrayList<>();
        for (long v : values) {
            out.add(Long.toUnsignedString(v) + "/0x" + Long.toHexString(v));
        }
        return out.toString();
    }

    static String showArgs(JsonNode args) {
        List<String> out = new ArrayList<>();
        if (args != null) {
            args.forEach(
                    a -> out.add(a.get("type").asText() + ":" + a.path("value").asText()));
        }
        return "(" + String.join(", ", out) + ")";
    }
}
