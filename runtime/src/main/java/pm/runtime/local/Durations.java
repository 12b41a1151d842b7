package pm.runtime.local;

import java.time.Duration;

/** Durations as a user types them: {@code 250ms}, {@code 2s}, {@code 1.5s}, {@code 3m}, or a number of seconds. */
final class Durations {
    private Durations() {}

    static Duration parse(String text) {
        String t = text.trim();
        double scale;
        String number;
        if (t.endsWith("ms")) {
            scale = 1e6;
            number = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            scale = 1e9;
            number = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            scale = 60e9;
            number = t.substring(0, t.length() - 1);
        } else {
            scale = 1e9;
            number = t;
        }
        try {
            double nanos = Double.parseDouble(number) * scale;
            if (!(nanos >= 0) || nanos > Long.MAX_VALUE) {
                throw new NumberFormatException(text);
            }
            return Duration.ofNanos((long) nanos);
        } catch (NumberFormatException e) {
            throw new UsageException("bad duration " + text + ": expected e.g. 500ms, 2s, 1.5s or 3m");
        }
    }
}
