package pm.deploy.soak;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/** Prints a {@link SoakResult} as the figures of a soak run. */
final class SoakReport {
    private SoakReport() {}

    static void print(SoakResult r, PrintStream out) {
        SoakSettings s = r.settings();
        double seconds = r.elapsed().toMillis() / 1000.0;
        out.printf(
                "%n== soak: %.0f s, seed %d, population %d..%d, %d agents + 1 coordinator (separate JVMs, %s), %d callers%n",
                seconds,
                s.seed(),
                s.minProcesses(),
                s.maxProcesses(),
                s.agents(),
                String.join(" ", s.jvmOptions()),
                s.workers());
        out.printf("%-12s %8s %8s %11s %8s%n", "operation", "ok", "legit", "unexpected", "ok/s");
        for (OpKind kind : OpKind.values()) {
            OpStats.Counts c = r.ops().of(kind);
            out.printf(
                    "%-12s %8d %8d %11d %8.2f%n",
                    kind.label(), c.ok(), c.legitimate(), c.unexpected(), c.ok() / seconds);
        }
        OpStats.Counts t = r.ops().total();
        out.printf("%-12s %8d %8d %11d %8.2f%n", "all", t.ok(), t.legitimate(), t.unexpected(), t.ok() / seconds);
        r.ops().legitimateReasons().forEach((why, n) -> out.printf("  legitimate: %s x%d%n", why, n));
        r.ops().unexpectedFailures().forEach(f -> out.println("  UNEXPECTED: " + f));

        out.printf(
                "processes: %d finished or killed and removed, %d tracked at the end (at most %d at once)%n",
                r.removed(), r.trackedAtEnd(), r.maxTracked());
        out.printf(
                "audits: %d (every %d s, model vs the coordinator's list and every agent's), %d failed to run%n",
                r.audits(), s.auditEvery().toSeconds(), r.auditFailures());
        r.auditErrors().forEach(e -> out.println("  AUDIT ERROR: " + e));
        out.printf("processes lost: %d%n", r.lost());
        for (Findings.Kind kind : Findings.Kind.values()) {
            if (kind != Findings.Kind.LOST) {
                out.printf(
                        "  %-16s %d%n",
                        kind.name().toLowerCase(Locale.ROOT).replace('_', ' '),
                        r.findings().count(kind));
            }
        }
        r.findings().examples().forEach(e -> out.println("  FINDING: " + e));
        if (!r.faultsInjected().isEmpty()) {
            out.printf(
                    "faults injected: %s; audits skipped while a fault had not settled: %d%n",
                    r.faultsInjected(), r.auditsSkipped());
            out.printf(
                    "seen running on two agents at once, or not settled after a fault: %d%n",
                    r.faultViolations().size());
            r.faultViolations().forEach(v -> out.println("  VIOLATION: " + v));
        }

        out.printf(
                "%nheap after GC (MiB)%s, per JVM, %d samples every %d s:%n",
                s.forceGc() ? ", each sample right after a forced full collection" : " (last collection, not forced)",
                r.heapMiB().values().stream().mapToInt(Trend::samples).max().orElse(0),
                s.sampleEvery().toSeconds());
        table(r.heapMiB(), "%7.1f", out);
        out.println("open file descriptors:");
        table(r.fds(), "%7.0f", out);
        out.println(
                "verdict rule: thirds of the run by time; stable iff min(last third) <= min(middle third) + slack,"
                        + " slack = max(8 MiB, 10%) for heap, max(8, 5%) for descriptors; slope = least squares over the last third");
        r.samplingProblems().forEach(p -> out.println("  SAMPLING PROBLEM: " + p));
        out.println(r.passed() ? "SOAK PASSED" : "SOAK FAILED");
    }

    private static void table(Map<String, Trend> series, String number, PrintStream out) {
        out.printf(
                "  %-12s %7s %7s %7s   %7s %7s %7s %9s  %s%n",
                "jvm", "start", "end", "max", "min mid", "min last", "slack", "slope/min", "verdict");
        String row = "  %-12s " + number + " " + number + " " + number + "   " + number + " " + number + " " + number
                + " %9.2f  %s%n";
        series.forEach((name, t) -> out.printf(
                row,
                name,
                t.start(),
                t.end(),
                t.max(),
                t.floorMiddle(),
                t.floorLast(),
                t.slack(),
                t.lastThirdSlopePerMinute(),
                t.verdict()));
    }
}
