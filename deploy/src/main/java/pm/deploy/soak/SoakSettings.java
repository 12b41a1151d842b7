package pm.deploy.soak;

import java.time.Duration;
import java.util.List;

/**
 * How long and how hard a soak runs. {@code minProcesses}..{@code maxProcesses} is the population the
 * driver keeps (below the minimum it only spawns); {@code workers} callers run operations at once;
 * the model is checked against the cluster every {@code auditEvery}, each JVM sampled every
 * {@code sampleEvery} (after a forced full collection if {@code forceGc}); {@code jvmOptions} go to
 * the coordinator and agent JVMs. With a positive {@code faultEvery}, an agent is paused, killed or cut
 * off from ZooKeeper about that often ({@link pm.deploy.faults.SoakFaults}); zero: no faults.
 */
public record SoakSettings(
        Duration duration,
        int minProcesses,
        int maxProcesses,
        long seed,
        int agents,
        int workers,
        Duration auditEvery,
        Duration sampleEvery,
        boolean forceGc,
        List<String> jvmOptions,
        Duration faultEvery) {

    public SoakSettings {
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("a soak lasts a positive time, not " + duration);
        }
        if (minProcesses < 1 || maxProcesses < minProcesses) {
            throw new IllegalArgumentException(
                    "population " + minProcesses + ".." + maxProcesses + " is not a range of at least 1");
        }
        if (agents < 2) {
            throw new IllegalArgumentException("migrations need at least 2 agents, not " + agents);
        }
        if (workers < 1) {
            throw new IllegalArgumentException("at least one worker, not " + workers);
        }
        jvmOptions = List.copyOf(jvmOptions);
        if (faultEvery.isNegative()) {
            throw new IllegalArgumentException("faults come every positive time, or never (zero), not " + faultEvery);
        }
    }

    /**
     * The benchmark profile: 10 minutes, 20..60 processes, 3 agents, 3 callers, an audit every 5 s, a
     * sample every 15 s after a forced collection, heaps fixed at 384 MiB so that the collector works
     * within the run (with the default quarter of RAM an old generation may never be collected in 10
     * minutes, and garbage would look like growth).
     */
    public static SoakSettings benchmark() {
        return new SoakSettings(
                Duration.ofMinutes(10),
                20,
                60,
                42,
                3,
                3,
                Duration.ofSeconds(5),
                Duration.ofSeconds(15),
                true,
                List.of("-Xmx384m"),
                Duration.ZERO);
    }

    public SoakSettings withDuration(Duration value) {
        return new SoakSettings(
                value,
                minProcesses,
                maxProcesses,
                seed,
                agents,
                workers,
                auditEvery,
                sampleEvery,
                forceGc,
                jvmOptions,
                faultEvery);
    }

    public SoakSettings withPopulation(int min, int max) {
        return new SoakSettings(
                duration, min, max, seed, agents, workers, auditEvery, sampleEvery, forceGc, jvmOptions, faultEvery);
    }

    public SoakSettings withSeed(long value) {
        return new SoakSettings(
                duration,
                minProcesses,
                maxProcesses,
                value,
                agents,
                workers,
                auditEvery,
                sampleEvery,
                forceGc,
                jvmOptions,
                faultEvery);
    }

    public SoakSettings withAgents(int value) {
        return new SoakSettings(
                duration,
                minProcesses,
                maxProcesses,
                seed,
                value,
                workers,
                auditEvery,
                sampleEvery,
                forceGc,
                jvmOptions,
                faultEvery);
    }

    public SoakSettings withWorkers(int value) {
        return new SoakSettings(
                duration,
                minProcesses,
                maxProcesses,
                seed,
                agents,
                value,
                auditEvery,
                sampleEvery,
                forceGc,
                jvmOptions,
                faultEvery);
    }

    public SoakSettings withSampling(Duration every, boolean gc) {
        return new SoakSettings(
                duration,
                minProcesses,
                maxProcesses,
                seed,
                agents,
                workers,
                auditEvery,
                every,
                gc,
                jvmOptions,
                faultEvery);
    }

    public SoakSettings withAuditEvery(Duration value) {
        return new SoakSettings(
                duration,
                minProcesses,
                maxProcesses,
                seed,
                agents,
                workers,
                value,
                sampleEvery,
                forceGc,
                jvmOptions,
                faultEvery);
    }

    /** Faults mixed in about every {@code value} (zero: none). */
    public SoakSettings withFaultsEvery(Duration value) {
        return new SoakSettings(
                duration,
                minProcesses,
                maxProcesses,
                seed,
                agents,
                workers,
                auditEvery,
                sampleEvery,
                forceGc,
                jvmOptions,
                value);
    }

    public boolean faults() {
        return !faultEvery.isZero();
    }

    public SoakSettings withJvmOptions(List<String> value) {
        return new SoakSettings(
                duration,
                minProcesses,
                maxProcesses,
                seed,
                agents,
                workers,
                auditEvery,
                sampleEvery,
                forceGc,
                value,
                faultEvery);
    }
}
