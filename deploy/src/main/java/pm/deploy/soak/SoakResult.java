package pm.deploy.soak;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What a soak did and found. It passed iff the audits and output checks found nothing, no
 * operation failed unexpectedly, every audit ran, no process was seen running on two agents and the
 * cluster settled after every injected fault, and every judged heap and file-descriptor series is
 * stable (see {@link Trend}).
 */
public record SoakResult(
        SoakSettings settings,
        Duration elapsed,
        OpStats ops,
        Findings findings,
        int audits,
        int auditFailures,
        List<String> auditErrors,
        int trackedAtEnd,
        int maxTracked,
        int removed,
        Map<String, Trend> heapMiB,
        Map<String, Trend> fds,
        List<String> samplingProblems,
        Map<pm.deploy.faults.SoakFaults.Kind, Integer> faultsInjected,
        List<String> faultViolations,
        int auditsSkipped) {

    public long lost() {
        return findings.count(Findings.Kind.LOST);
    }

    public boolean passed() {
        return findings.total() == 0
                && ops.total().unexpected() == 0
                && auditFailures == 0
                && faultViolations.isEmpty()
                && heapMiB.values().stream().allMatch(t -> !t.judged() || t.stable())
                && fds.values().stream().allMatch(t -> !t.judged() || t.stable());
    }
}
