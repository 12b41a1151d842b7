package pm.deploy.faults;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import pm.client.ClusterClient;
import pm.deploy.ChildJvm;
import pm.deploy.LocalCluster;
import pm.testsupport.TcpProxy;
import pm.v1.ProcessInfo;
import pm.v1.ProcessState;

/**
 * The faults a soak mixes in ({@code ./pm soak --faults}): at seeded random intervals one agent is
 * paused (SIGSTOP) briefly or until the coordinator has seen its session end and the recovery grace
 * pass, killed -9 and restarted, or cut off from ZooKeeper until the coordinator has seen its session
 * end (each agent reaches ZooKeeper through a relay of its own), then healed. After each fault it waits until the cluster has settled — every agent back in
 * the membership and answering, every copy an agent holds the one its ownership record names (none
 * held twice, none left behind) — and until then {@link #inFault}
 * is true: the soak's audit waits and a failed call is expected. A sampler lists every agent ten
 * times a second throughout and records any process two agents report RUNNING with a growing
 * instruction count ({@link RunningSampler}). Threads: its own injecting thread and the sampler's;
 * the accessors may be called from any thread.
 */
public final class SoakFaults implements AutoCloseable {
    /** What is done to an agent. */
    public enum Kind {
        PAUSE_BRIEF,
        PAUSE_PAST_GRACE,
        KILL_AND_RESTART,
        ZOOKEEPER_CUT
    }

    /** The agents' ZooKeeper session, and the coordinator's grace before recovering a lost node's processes. */
    public static final int SESSION_MILLIS = 4_000;

    public static final int GRACE_MILLIS = 8_000;
    private static final Duration SETTLE = Duration.ofMinutes(2);
    private static final Duration LEAVE = Duration.ofSeconds(60);
    private static final Duration LAST_FAULT_BEFORE_END = Duration.ofSeconds(20);

    private final LocalCluster cluster;
    private final Map<String, TcpProxy> relays = new HashMap<>();
    private final Map<Kind, Integer> injected = new EnumMap<>(Kind.class);
    private final List<String> unsettled = new ArrayList<>();
    private AgentProbe probe;
    private RunningSampler sampler;
    private Thread injector;
    private ClusterClient client;
    private volatile boolean inFault;
    /** Faults begun so far; counted up before {@link #inFault} turns true. */
    private final java.util.concurrent.atomic.AtomicLong begun = new java.util.concurrent.atomic.AtomicLong();

    private Runnable onSettled = () -> {};
    private final java.util.concurrent.CountDownLatch stopRequested = new java.util.concurrent.CountDownLatch(1);

    /** For {@code cluster}, whose ZooKeeper and coordinators run already; its agents are started by {@link #startAgents}. */
    public SoakFaults(LocalCluster cluster) {
        this.cluster = cluster;
    }

    /** The flags that give agents the short session these faults are timed against. */
    public static List<String> agentArgs() {
        return List.of("--zk-session-timeout-ms", Integer.toString(SESSION_MILLIS));
    }

    /** The flags that give coordinators the recovery grace these faults are timed against. */
    public static List<String> coordinatorArgs() {
        return List.of("--recovery-grace-ms", Integer.toString(GRACE_MILLIS));
    }

    /** Starts agents {@code names}, each reaching ZooKeeper through a relay of its own that a fault can cut. */
    public void startAgents(List<String> names) throws IOException, InterruptedException {
        for (String name : names) {
            TcpProxy relay = new TcpProxy(cluster.zookeeperAddress());
            relays.put(name, relay);
            cluster.startAgent(name, List.of(), relay.address());
        }
    }

    /**
     * Starts the sampler and the injecting thread: one fault about every {@code every} until
     * {@code deadlineNanos}; {@code onSettled} runs on that thread after each fault has settled.
     */
    public void start(ClusterClient client, long seed, Duration every, long deadlineNanos, Runnable onSettled) {
        this.client = client;
        this.onSettled = onSettled;
        this.probe = new AgentProbe(cluster);
        this.sampler = new RunningSampler(probe);
        Random random = new Random(seed);
        this.injector = new Thread(() -> inject(random, every, deadlineNanos), "pm-soak-faults");
        this.injector.setDaemon(true);
        this.injector.start();
    }

    /** True from a fault's start until the cluster has settled after it. */
    public boolean inFault() {
        return inFault;
    }

    /**
     * How many faults have begun: with {@link #inFault} it tells whether a fault overlapped a stretch of
     * time that both were read at the start and end of, even one that settled in between.
     */
    public long faultsBegun() {
        return begun.get();
    }

    public synchronized Map<Kind, Integer> injected() {
        return Map.copyOf(injected);
    }

    /** Every time two agents were seen running one process, and every fault the cluster did not settle after. */
    public synchronized List<String> violations() {
        List<String> all = new ArrayList<>(sampler == null ? List.of() : sampler.violations());
        all.addAll(unsettled);
        return all;
    }

    private void inject(Random random, Duration every, long deadlineNanos) {
        // The last fault starts a little before the soak's end; the soak waits for it to settle.
        long lastStart = deadlineNanos - LAST_FAULT_BEFORE_END.toNanos();
        try {
            while (true) {
                long pause = every.toMillis() / 2 + (long) (random.nextDouble() * every.toMillis());
                if (stopRequested.await(pause, java.util.concurrent.TimeUnit.MILLISECONDS)
                        || System.nanoTime() > lastStart) {
                    return;
                }
                List<ChildJvm> agents = cluster.agents();
                String victim = agents.get(random.nextInt(agents.size())).name();
                Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
                begun.incrementAndGet();
                inFault = true;
                try {
                    fault(kind, victim, random);
                    synchronized (this) {
                        injected.merge(kind, 1, Integer::sum);
                    }
                    awaitSettled(kind + " of " + victim);
                    onSettled.run(); // before inFault clears: no call acts on what the fault may have changed
                } finally {
                    inFault = false;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            synchronized (this) {
                unsettled.add("injecting a fault failed: " + e);
            }
        }
    }

    private void fault(Kind kind, String name, Random random) throws IOException, InterruptedException {
        ChildJvm agent = cluster.agent(name);
        switch (kind) {
            case PAUSE_BRIEF -> {
                Signals.stop(agent.pid());
                Thread.sleep(SESSION_MILLIS / 4 + random.nextInt(SESSION_MILLIS / 4));
                Signals.resume(agent.pid());
            }
            case PAUSE_PAST_GRACE -> {
                Signals.stop(agent.pid());
                try {
                    awaitLeft(name); // its session is over as far as the coordinator knows, however loaded the machine
                    Thread.sleep(GRACE_MILLIS + 2_000L); // the grace runs on the coordinator's clock from there
                } finally {
                    Signals.resume(agent.pid());
                }
            }
            case KILL_AND_RESTART -> {
                agent.kill();
                Thread.sleep(500 + random.nextInt(2_000));
                cluster.startAgent(name, List.of(), relays.get(name).address());
            }
            case ZOOKEEPER_CUT -> {
                TcpProxy relay = relays.get(name);
                relay.cut();
                try {
                    awaitLeft(name); // cut until its session has expired, not for a guess at how long that takes
                } finally {
                    relay.heal();
                }
            }
        }
    }

    /** Waits until the coordinator no longer lists node {@code name}; one that never leaves is a violation, not a hang. */
    private void awaitLeft(String name) throws InterruptedException {
        try {
            Poll.until(
                    "node " + name + " to leave the membership",
                    LEAVE,
                    () -> client.nodes().stream()
                            .noneMatch(n -> n.getRecord().getName().equals(name)));
        } catch (ScenarioFailure e) {
            synchronized (this) {
                unsettled.add(e.getMessage());
            }
        }
    }

    /**
     * Waits until every agent is a live member again and answers, every copy an agent holds is the one
     * its record names, and every record's owner holds its process. A migration in flight holds a second copy for a moment: only a problem seen
     * again two seconds later counts.
     */
    private void awaitSettled(String after) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        Set<String> persistent = Set.of();
        while (System.nanoTime() < deadline) {
            Set<String> now = problems();
            if (now.isEmpty()) {
                return;
            }
            Thread.sleep(2_000);
            Set<String> later = problems();
            persistent = new HashSet<>(now);
            persistent.retainAll(later);
            if (persistent.isEmpty() && !later.contains(NOT_ALL_ANSWER)) {
                return;
            }
        }
        synchronized (this) {
            unsettled.add("not settled " + SETTLE.toSeconds() + " s after " + after + ": " + persistent);
        }
    }

    private static final String NOT_ALL_ANSWER = "not every agent is a member and answers";

    /** What is not as it should be now, one line each (empty: settled). */
    private Set<String> problems() {
        try {
            if (client.nodes().size() < cluster.agents().size()) {
                return Set.of(NOT_ALL_ANSWER);
            }
        } catch (RuntimeException e) {
            return Set.of(NOT_ALL_ANSWER);
        }
        Map<String, Map<String, ProcessInfo>> all = probe.snapshot(5_000);
        if (all.size() < cluster.agents().size()) {
            return Set.of(NOT_ALL_ANSWER);
        }
        Map<String, String> owners = new HashMap<>();
        try {
            client.list().forEach(p -> owners.put(p.getProcessId(), p.getNode()));
        } catch (RuntimeException e) {
            return Set.of(NOT_ALL_ANSWER);
        }
        Set<String> problems = new HashSet<>();
        for (Map.Entry<String, Map<String, ProcessInfo>> agent : all.entrySet()) {
            for (ProcessInfo p : agent.getValue().values()) {
                if (p.getState() != ProcessState.PROCESS_STATE_KILLED
                        && !agent.getKey().equals(owners.get(p.getProcessId()))) {
                    problems.add(p.getProcessId() + " held by " + agent.getKey() + " (" + p.getState() + ", epoch "
                            + p.getEpoch() + "), owned by " + owners.getOrDefault(p.getProcessId(), "nobody"));
                }
            }
        }
        // And the other way round: a process its owner does not hold waits for a recovery (a target restarted
        // before its commit's record was on disk, say), which is part of the fault too.
        owners.forEach((id, node) -> {
            Map<String, ProcessInfo> onNode = all.get(node);
            if (onNode != null && !onNode.containsKey(id)) {
                problems.add(id + " owned by " + node + ", which does not hold it");
            }
        });
        return problems;
    }

    /** Injects no more: returns once a fault in progress has been healed and has settled (or failed to). Idempotent. */
    public void stop() throws InterruptedException {
        stopRequested.countDown();
        if (injector != null) {
            injector.join();
            sampler.close();
            probe.close();
        }
    }

    /** Stops, then resumes any agent left paused and closes the relays (the agents lose ZooKeeper: the cluster's end). */
    @Override
    public void close() throws InterruptedException {
        stop();
        for (ChildJvm a : cluster.agents()) {
            try {
                Signals.resume(a.pid()); // in case the soak ended inside a pause
            } catch (IOException | RuntimeException ignored) {
                // not running any more
            }
        }
        for (TcpProxy relay : relays.values()) {
            try {
                relay.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
