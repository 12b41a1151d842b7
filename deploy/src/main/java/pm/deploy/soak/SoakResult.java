package pm.deploy.soak;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What a soak did and found. It passed iff the audits and output checks found nothing, no
 * operation failed unexpectedly, every audit ran, and every judged heap and file-descriptor series is
 * stable (see {@link Trend}).
 */
public record SoakResult(SoakSettings settings, Duration elapsed, OpStats ops, Findings findings, int audits, int auditFailures,
        List<String> auditErrors, int trackedAtEnd, int maxTracked, int removed, Map<String, Trend> heapMiB, Map<String, Trend> fds,
        List<String> samplingProblems) {

    public long lost() {
        return findings.count(Findings.Kind.LOST);
    }

    public boolean passed() {
        return findings.total() == 0 && ops.total().unexpected() == 0 && auditFailures == 0
                && heapMiB.values().stream().allMatch(t -> !t.judged() || t.stable())
                && fds.values().stream().allMatch(t -> !t.judged() || t.stable());
    }
}
