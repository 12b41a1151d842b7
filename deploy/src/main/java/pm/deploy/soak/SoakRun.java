package pm.deploy.soak;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import pm.client.ClusterClient;
import pm.deploy.ChildJvm;
import pm.deploy.DemoGuest;
import pm.deploy.LocalCluster;
import pm.deploy.faults.SoakFaults;

/**
 * {@code ./pm soak [--minutes N]}: a local cluster (ZooKeeper, a coordinator and agents, each its own
 * JVM) under a seeded random mix of spawns, live migrations to random nodes, checkpoints,
 * freeze/thaw, suspend/resume and kills, with processes that finish on their own in between. The
 * driver's model is audited against the cluster every few seconds, finished processes' output is
 * compared with an uninterrupted run's, and each JVM's heap and open descriptors are sampled. Prints
 * the figures; exits 0 iff the soak passed ({@link SoakResult#passed()}).
 *
 * <p>Threads: the driver's workers, one auditing and one sampling thread; {@link #run} owns the
 * cluster and joins them all before it returns.
 */
public final class SoakRun {
    private SoakRun() {}

    public static void main(String[] args) throws Exception {
        SoakSettings settings = parse(args);
        Path dir = Files.createTempDirectory("pm-soak");
        SoakResult result = run(settings, dir, System.out);
        SoakReport.print(result, System.out);
        System.exit(result.passed() ? 0 : 1);
    }

    static SoakSettings parse(String[] args) {
        SoakSettings s = SoakSettings.benchmark();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--minutes" ->
                        s = s.withDuration(Duration.ofSeconds(Math.round(Double.parseDouble(args[++i]) * 60)));
                    case "--seconds" -> s = s.withDuration(Duration.ofSeconds(Long.parseLong(args[++i])));
                    case "--min" ->
                        s = s.withPopulation(
                                Integer.parseInt(args[++i]), Math.max(s.maxProcesses(), Integer.parseInt(args[i])));
                    case "--max" ->
                        s = s.withPopulation(
                                Math.min(s.minProcesses(), Integer.parseInt(args[++i])), Integer.parseInt(args[i]));
                    case "--seed" -> s = s.withSeed(Long.parseLong(args[++i]));
                    case "--agents" -> s = s.withAgents(Integer.parseInt(args[++i]));
                    case "--workers" -> s = s.withWorkers(Integer.parseInt(args[++i]));
                    case "--no-gc" -> s = s.withSampling(s.sampleEvery(), false);
                    case "--faults" -> s = s.withFaultsEvery(Duration.ofSeconds(30));
                    case "--fault-every" -> s = s.withFaultsEvery(Duration.ofSeconds(Long.parseLong(args[++i])));
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
        } catch (RuntimeException e) {
            System.err.println("soak: " + e.getMessage());
            System.err.println(
                    "usage: ./pm soak [--minutes N | --seconds N] [--min P] [--max P] [--seed S] [--agents N] [--workers N] [--no-gc]"
                            + " [--faults | --fault-every SECONDS]");
            System.exit(2);
        }
        return s;
    }

    /** Runs one soak in {@code dir} (logs under {@code dir/logs}), printing progress to {@code log}. */
    public static SoakResult run(SoakSettings settings, Path dir, PrintStream log) throws Exception {
        LocalCluster local = settings.faults()
                ? new LocalCluster(dir, SoakFaults.agentArgs(), SoakFaults.coordinatorArgs())
                : new LocalCluster(dir);
        try (LocalCluster cluster = local.withJvmOptions(settings.jvmOptions());
                SoakFaults faults = new SoakFaults(cluster)) {
            log.printf(
                    "soak: starting ZooKeeper, a coordinator and %d agents (logs in %s/logs)%s%n",
                    settings.agents(),
                    dir,
                    settings.faults()
                            ? "; faults about every " + settings.faultEvery().toSeconds() + " s"
                            : "");
            if (settings.faults()) {
                cluster.startZooKeeper();
                cluster.startCoordinator("c1", 0);
                List<String> names = new ArrayList<>();
                for (int i = 1; i <= settings.agents(); i++) {
                    names.add("a" + i);
                }
                faults.startAgents(names);
            } else {
                cluster.start(List.of(0), settings.agents());
            }
            try (ClusterClient client = new ClusterClient(cluster.clientSettings())) {
                if (!cluster.awaitAgentsJoined(client, Duration.ofSeconds(60))) {
                    throw new IllegalStateException("the agents did not all join within 60 s");
                }
                return soak(settings, cluster, client, log, settings.faults() ? faults : null);
            }
        }
    }

    /** {@code faults}: null for a soak without faults. */
    private static SoakResult soak(
            SoakSettings settings, LocalCluster cluster, ClusterClient client, PrintStream log, SoakFaults faults)
            throws Exception {
        SoakModel model = new SoakModel();
        OpStats stats = new OpStats();
        Findings findings = new Findings();
        ReadWriteLock gate = new ReentrantReadWriteLock(true); // fair: the auditor is not starved by the workers
        List<String> nodes = cluster.agents().stream().map(ChildJvm::name).toList();
        List<JvmSampler.Probe> probes = new ArrayList<>();
        for (ChildJvm c : cluster.coordinators()) {
            probes.add(new JvmSampler.Probe(c.name(), c.pid(), c.metricsPort()));
        }
        if (faults == null) { // agents killed and restarted have no series to judge
            for (ChildJvm a : cluster.agents()) {
                probes.add(new JvmSampler.Probe(a.name(), a.pid(), a.metricsPort()));
            }
        }
        FaultWindow window = faults == null ? FaultWindow.NONE : new FaultWindow(faults::inFault, faults::faultsBegun);
        SoakDriver driver =
                new SoakDriver(client, nodes, model, stats, findings, gate, settings, DemoGuest.module(), window);
        JvmSampler sampler = new JvmSampler(probes, settings.forceGc());
        List<String> auditErrors = new ArrayList<>();
        int[] auditFailures = {0};

        ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "pm-soak-timer");
            t.setDaemon(true);
            return t;
        });
        long started = System.nanoTime();
        long deadline = started + settings.duration().toNanos();
        int[] skipped = {0};
        try (SoakAudit audit = new SoakAudit(client, () -> agentAddresses(cluster), cluster.nodeTransport(), model)) {
            Runnable auditOnce = () -> {
                if (window.inFault()) {
                    skipped[0]++; // checked once the cluster has settled
                    return;
                }
                gate.writeLock().lock();
                try {
                    long mark = window.open();
                    List<Findings.Finding> found = audit.audit();
                    boolean overlapped = window.overlapped(mark);
                    if (overlapped) {
                        skipped[0]++; // a fault began while it listed (an agent paused mid-list answers late)
                    }
                    found.stream()
                            .filter(f -> !overlapped || !f.kind().explainedByFault)
                            .forEach(findings::add);
                } catch (RuntimeException e) {
                    synchronized (auditErrors) {
                        auditFailures[0]++;
                        if (auditErrors.size() < 10) {
                            auditErrors.add(e.toString());
                        }
                    }
                } finally {
                    gate.writeLock().unlock();
                }
            };
            timers.scheduleWithFixedDelay(
                    () -> {
                        try {
                            sampler.sample();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    },
                    0,
                    settings.sampleEvery().toMillis(),
                    TimeUnit.MILLISECONDS);
            long auditMillis = settings.auditEvery().toMillis();
            long progressEvery = Math.max(10, Math.min(60, settings.duration().toSeconds() / 10));
            long[] audits = {0};
            timers.scheduleWithFixedDelay(
                    () -> {
                        auditOnce.run();
                        if (++audits[0] % Math.max(1, progressEvery * 1000 / auditMillis) == 0) {
                            OpStats.Counts c = stats.total();
                            log.printf(
                                    "soak: %4d s  %5d ops ok, %d legitimate, %d unexpected failures; %d processes tracked, %d removed; findings %d%n",
                                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started),
                                    c.ok(),
                                    c.legitimate(),
                                    c.unexpected(),
                                    model.size(),
                                    model.killedCount(),
                                    findings.total());
                        }
                    },
                    auditMillis,
                    auditMillis,
                    TimeUnit.MILLISECONDS);

            if (faults != null) {
                // A fault may have moved or restored any process: calls and the next audit take each one's node and
                // state from the cluster, which must still list it, held once, by that node.
                faults.start(
                        client,
                        settings.seed(),
                        settings.faultEvery(),
                        deadline,
                        () -> model.live().values().forEach(t -> t.uncertain = true));
            }
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < settings.workers(); i++) {
                Random random = new Random(settings.seed() * 31 + i);
                Thread w = new Thread(() -> driver.work(random, deadline), "pm-soak-worker-" + i);
                w.start();
                workers.add(w);
            }
            for (Thread w : workers) {
                w.join();
            }
            timers.shutdown();
            if (!timers.awaitTermination(120, TimeUnit.SECONDS)) {
                timers.shutdownNow();
            }
            if (faults != null) {
                faults.stop(); // waits for a fault in progress to settle
            }
            auditOnce.run(); // the last word, with every worker done
            sampler.sample();
            Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
            Map<String, Trend> heap = new LinkedHashMap<>();
            sampler.heap().forEach((name, series) -> heap.put(name, Trend.of(series, 8, 0.10)));
            Map<String, Trend> fds = new LinkedHashMap<>();
            sampler.fds().forEach((name, series) -> fds.put(name, Trend.of(series, 8, 0.05)));
            return new SoakResult(
                    settings,
                    elapsed,
                    stats,
                    findings,
                    audit.audits(),
                    auditFailures[0],
                    List.copyOf(auditErrors),
                    model.size(),
                    model.maxSize(),
                    model.killedCount(),
                    heap,
                    fds,
                    sampler.problems(),
                    faults == null ? Map.of() : faults.injected(),
                    faults == null ? List.of() : faults.violations(),
                    skipped[0]);
        } finally {
            timers.shutdownNow();
        }
    }

    private static Map<String, String> agentAddresses(LocalCluster cluster) {
        Map<String, String> addresses = new LinkedHashMap<>();
        cluster.agents().forEach(a -> addresses.put(a.name(), a.address()));
        return addresses;
    }
}
