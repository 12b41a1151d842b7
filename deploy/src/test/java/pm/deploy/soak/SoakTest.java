package pm.deploy.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The soak at CI length: 75 s of random spawns, migrations, checkpoints, freeze/thaw, suspend/resume
 * and kills on a local cluster (ZooKeeper, a coordinator, three agents: separate JVMs) with 8..16
 * processes. Nothing is lost, duplicated or left behind, finished output is exact, every failure is a
 * legitimate one (the process had ended on its own), and no JVM's open descriptors keep growing.
 * Heap is sampled and printed but not judged at this length: without forced collections (too costly
 * on two shared cores every few seconds) the last collection's figure is noise over 75 s. Then 150 s
 * with an agent paused, killed or cut off from ZooKeeper about every 25 s: no process ever seen running
 * on two agents, the cluster settles after every fault, every finished process's output is exact.
 */
class SoakTest {
    @TempDir
    Path dir;

    @Test
    void aSeventyFiveSecondSoakLosesNothingAndLeaksNoDescriptors() throws Exception {
        SoakSettings settings = SoakSettings.benchmark()
                .withDuration(Duration.ofSeconds(75))
                .withPopulation(8, 16)
                .withWorkers(2)
                .withAuditEvery(Duration.ofSeconds(3))
                .withSampling(Duration.ofSeconds(5), false)
                .withJvmOptions(List.of("-Xmx256m", "-XX:+UseSerialGC"));

        SoakResult result = SoakRun.run(settings, dir, System.out);
        SoakReport.print(result, System.out);

        assertThat(result.lost()).as("processes lost").isZero();
        assertThat(result.findings().examples()).as("audit and output findings").isEmpty();
        assertThat(result.ops().unexpectedFailures())
                .as("unexpected operation failures")
                .isEmpty();
        assertThat(result.auditErrors()).as("audits that could not run").isEmpty();
        assertThat(result.audits()).as("audits").isGreaterThanOrEqualTo(10);
        for (OpKind kind : List.of(
                OpKind.SPAWN,
                OpKind.MIGRATE,
                OpKind.CHECKPOINT,
                OpKind.FREEZE,
                OpKind.SUSPEND,
                OpKind.RESUME,
                OpKind.KILL)) {
            assertThat(result.ops().of(kind).ok())
                    .as("successful " + kind.label() + "s")
                    .isPositive();
        }
        for (Map.Entry<String, Trend> fds : result.fds().entrySet()) {
            assertThat(fds.getValue().judged() && fds.getValue().stable())
                    .as("open descriptors of %s: %s", fds.getKey(), fds.getValue())
                    .isTrue();
        }
    }

    @Test
    void aSoakWithAgentsPausedKilledAndCutOffLosesNothingAndNeverRunsAProcessTwice() throws Exception {
        SoakSettings settings = SoakSettings.benchmark()
                .withDuration(Duration.ofSeconds(150))
                .withPopulation(6, 12)
                .withWorkers(2)
                .withAuditEvery(Duration.ofSeconds(3))
                .withSampling(Duration.ofSeconds(10), false)
                .withSeed(7)
                .withFaultsEvery(Duration.ofSeconds(25))
                .withJvmOptions(List.of("-Xmx256m", "-XX:+UseSerialGC"));

        SoakResult result = SoakRun.run(settings, dir, System.out);
        SoakReport.print(result, System.out);

        assertThat(result.faultsInjected().values().stream()
                        .mapToInt(Integer::intValue)
                        .sum())
                .as("faults injected")
                .isGreaterThanOrEqualTo(3);
        assertThat(result.faultViolations())
                .as("two agents running one process, or no settling after a fault")
                .isEmpty();
        for (Findings.Kind kind :
                List.of(Findings.Kind.OUTPUT_MISMATCH, Findings.Kind.STRAY, Findings.Kind.GUEST_FAILED)) {
            assertThat(result.findings().count(kind)).as(kind + " findings").isZero();
        }
        // Not asserted yet, printed above: processes lost, copies left behind or held twice after a fault, and the
        // calls that failed on them. The ten-minute run still finds one (a suspend racing a policy checkpoint names a
        // replica the suspend had dropped; see the README's soak section): asserted once that is fixed.
        assertThat(result.auditErrors()).as("audits that could not run").isEmpty();
        assertThat(result.audits()).as("audits between faults").isGreaterThanOrEqualTo(10);
        assertThat(result.ops().of(OpKind.MIGRATE).ok())
                .as("successful migrations")
                .isPositive();
    }
}
