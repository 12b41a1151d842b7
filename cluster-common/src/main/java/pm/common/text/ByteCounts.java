package pm.common.text;

import java.util.Locale;

/** Byte counts as people read them, the same in pmctl's tables and the web console. Stateless. */
public final class ByteCounts {
    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB"};

    private ByteCounts() {}

    /** {@code 512 B}, {@code 1.5 KiB}, {@code 2.0 GiB}: binary units, one decimal. */
    public static String human(long n) {
        if (n < 1024) {
            return n + " B";
        }
        double v = n;
        int u = -1;
        while (v >= 1024 && u < UNITS.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, UNITS[u]);
    }
}
