package pm.deploy.soak;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.locks.ReadWriteLock;
import pm.client.CheckpointOptions;
import pm.client.ClusterClient;
import pm.client.ClusterClientException;
import pm.client.ConflictException;
import pm.client.SpawnOptions;
import pm.client.WrongStateException;
import pm.deploy.DemoGuest;
import pm.deploy.soak.SoakModel.Phase;
import pm.deploy.soak.SoakModel.Tracked;
import pm.v1.ClusterProcess;
import pm.v1.LogChunk;
import pm.v1.MigrationReport;
import pm.v1.ProcessState;

/**
 * The random driver: each worker thread, with its own seeded {@link Random}, repeatedly claims a
 * process and does one thing to it through the SDK, keeping {@link SoakModel} in step with every
 * call that succeeded. Each call runs under the read side of {@code gate}; the auditor takes the
 * write side, so it sees the cluster with no call in flight.
 *
 * <p>A failure is <em>legitimate</em> when the process was running and has ended on its own (the
 * owner reports it EXITED) and the cluster refused with FAILED_PRECONDITION or ABORTED: freezing,
 * checkpointing, suspending or migrating a process that just exited cannot succeed. Every other
 * failure is unexpected; the process is then marked uncertain and the next audit takes its node and
 * state from the cluster (it must still exist). A failure of a call that an injected fault overlapped
 * (in progress when it began, begun since, or not settled when it failed) is legitimate; the process
 * is marked uncertain all the same.
 */
final class SoakDriver {
    private static final java.time.Duration FAULT_CHECKPOINTS = java.time.Duration.ofSeconds(2);
    private final ClusterClient client;
    private final List<String> nodes;
    private final SoakModel model;
    private final OpStats stats;
    private final Findings findings;
    private final ReadWriteLock gate;
    private final SoakSettings settings;
    private final byte[] module;
    private final FaultWindow faults;

    /** {@code faults}: whether an injected fault overlapped a call (its failure is then expected). */
    SoakDriver(
            ClusterClient client,
            List<String> nodes,
            SoakModel model,
            OpStats stats,
            Findings findings,
            ReadWriteLock gate,
            SoakSettings settings,
            byte[] module,
            FaultWindow faults) {
        this.faults = faults;
        this.client = client;
        this.nodes = List.copyOf(nodes);
        this.model = model;
        this.stats = stats;
        this.findings = findings;
        this.gate = gate;
        this.settings = settings;
        this.module = module.clone();
    }

    /** One worker's loop, until {@code deadlineNanos} (System.nanoTime) or an interrupt. */
    void work(Random random, long deadlineNanos) {
        while (System.nanoTime() < deadlineNanos && !Thread.currentThread().isInterrupted()) {
            gate.readLock().lock();
            try {
                step(random);
            } finally {
                gate.readLock().unlock();
            }
        }
    }

    private void step(Random random) {
        Optional<Tracked> ended = model.claimRandom(random, Phase.ENDED);
        if (ended.isPresent()) {
            reap(ended.get());
            return;
        }
        int n = model.size();
        if (n < settings.minProcesses() || (n < settings.maxProcesses() && random.nextInt(100) < 25)) {
            spawn(random);
            return;
        }
        Optional<Tracked> claimed = model.claimRandom(random, null);
        if (claimed.isEmpty()) {
            Thread.yield(); // every process is some other worker's for the moment
            return;
        }
        Tracked t = claimed.get();
        try {
            operate(random, t);
        } finally {
            t.release();
        }
    }

    private void operate(Random random, Tracked t) {
        if (t.uncertain && !faults.inFault()) {
            // A fault or a failed call may have moved it: act on where the cluster says it is.
            Optional<ClusterProcess> now = get(t.id);
            now.ifPresent(p -> follow(t, p));
        }
        int dice = random.nextInt(100);
        switch (t.phase) {
            case RUNNING -> {
                if (dice < 38) {
                    migrate(random, t);
                } else if (dice < 60) {
                    checkpoint(random, t);
                } else if (dice < 77) {
                    freeze(t);
                } else if (dice < 91) {
                    suspend(t);
                } else {
                    kill(t);
                }
            }
            case FROZEN -> {
                if (dice < 45) {
                    thaw(t);
                } else if (dice < 65) {
                    migrate(random, t);
                } else if (dice < 80) {
                    checkpoint(random, t);
                } else if (dice < 90) {
                    suspend(t);
                } else {
                    kill(t);
                }
            }
            case SUSPENDED -> {
                if (dice < 85) {
                    resume(random, t);
                } else {
                    kill(t);
                }
            }
            case ENDED -> reap(t);
        }
    }

    private void spawn(Random random) {
        // 4-60 s of life if left alone: long enough to be moved, frozen and suspended a few times.
        Tracked t = new Tracked(
                model.newId(), 40 + random.nextInt(161), 100 + random.nextInt(201), 1000 + random.nextInt(4001), "");
        long mark = faults.open();
        try {
            SpawnOptions.Builder spawn = SpawnOptions.builder(module, "demo")
                    .withProcessId(t.id)
                    .withArgs(Integer.toString(t.steps), Integer.toString(t.delayMs), Integer.toString(t.work));
            if (settings.faults()) {
                spawn.checkpointEvery(FAULT_CHECKPOINTS); // a node lost to a fault costs at most this much work
            }
            ClusterProcess p = client.spawn(spawn.build());
            t.owner = p.getNode();
            model.add(t);
            stats.ok(OpKind.SPAWN);
        } catch (ClusterClientException e) {
            model.spawnUncertain(t);
            if (faults.overlapped(mark)) {
                stats.legitimate(OpKind.SPAWN, "during an injected fault (" + e.code() + ")");
            } else {
                stats.unexpected(OpKind.SPAWN, t.id, e.getMessage());
            }
        }
    }

    private void migrate(Random random, Tracked t) {
        String target = otherNode(random, t.owner);
        attempt(OpKind.MIGRATE, t, () -> {
            MigrationReport r = client.migrate(t.id, target);
            t.owner = r.getTargetNode();
        });
    }

    private void checkpoint(Random random, Tracked t) {
        boolean incremental = random.nextBoolean();
        attempt(
                OpKind.CHECKPOINT,
                t,
                () -> client.checkpoint(
                        t.id, incremental ? CheckpointOptions.incremental() : CheckpointOptions.full()));
    }

    private void freeze(Tracked t) {
        attempt(OpKind.FREEZE, t, () -> follow(t, client.freeze(t.id)));
    }

    private void thaw(Tracked t) {
        attempt(OpKind.THAW, t, () -> follow(t, client.thaw(t.id)));
    }

    private void suspend(Tracked t) {
        attempt(OpKind.SUSPEND, t, () -> {
            client.suspend(t.id);
            t.phase = Phase.SUSPENDED;
        });
    }

    /** Where it comes back: half the time wherever placement likes, else a random node (its own included). */
    private void resume(Random random, Tracked t) {
        String node = random.nextBoolean() ? "" : nodes.get(random.nextInt(nodes.size()));
        attempt(OpKind.RESUME, t, () -> {
            follow(t, node.isEmpty() ? client.resume(t.id) : client.resume(t.id, node));
        });
    }

    /** Killed early: what it printed so far must be the start of the uninterrupted run's output. */
    private void kill(Tracked t) {
        attempt(OpKind.KILL, t, () -> {
            String output = output(t.id);
            String expected = DemoGuest.expectedOutput(t.steps, t.work);
            if (!expected.startsWith(output)) {
                findings.add(
                        Findings.Kind.OUTPUT_MISMATCH,
                        t.id + " printed before its kill what an uninterrupted run does not: "
                                + firstDifference(expected, output));
            }
            client.kill(t.id);
            model.removeKilled(t);
        });
    }

    /** Finished: its whole output must be the uninterrupted run's; then it goes. */
    private void reap(Tracked t) {
        try {
            attempt(OpKind.REAP, t, () -> {
                if (!t.guestFailed) {
                    String output = output(t.id);
                    String expected = DemoGuest.expectedOutput(t.steps, t.work);
                    if (!output.equals(expected)) {
                        findings.add(
                                Findings.Kind.OUTPUT_MISMATCH,
                                t.id + " finished with output that differs from an" + " uninterrupted run's: "
                                        + firstDifference(expected, output));
                    }
                }
                client.kill(t.id);
                model.removeKilled(t);
            });
        } finally {
            t.release();
        }
    }

    private String output(String id) {
        StringBuilder out = new StringBuilder();
        client.logs(id, (LogChunk c) -> out.append(c.getData().toString(StandardCharsets.UTF_8)));
        return out.toString();
    }

    /**
     * Takes the state the owner reported after a successful call, and the owner: a node lost in a fault
     * has its processes recovered elsewhere without a call of ours (a later migrate to the node that
     * recovered it would be refused as "already runs there").
     */
    private static void follow(Tracked t, ClusterProcess p) {
        if (!p.getNode().isEmpty()) {
            t.owner = p.getNode();
        }
        t.phase = switch (p.getState()) {
            case PROCESS_STATE_FROZEN -> Phase.FROZEN;
            case PROCESS_STATE_SUSPENDED -> Phase.SUSPENDED;
            case PROCESS_STATE_EXITED, PROCESS_STATE_FAILED -> Phase.ENDED;
            default -> Phase.RUNNING;
        };
    }

    private interface Call {
        void run();
    }

    private void attempt(OpKind kind, Tracked t, Call call) {
        Phase before = t.phase;
        long mark = faults.open();
        try {
            call.run();
            stats.ok(kind);
        } catch (ClusterClientException e) {
            Optional<ClusterProcess> now = get(t.id);
            ProcessState state = now.map(ClusterProcess::getState).orElse(ProcessState.PROCESS_STATE_UNSPECIFIED);
            boolean refused = e instanceof WrongStateException || e instanceof ConflictException;
            if (before == Phase.RUNNING && state == ProcessState.PROCESS_STATE_EXITED && refused) {
                t.phase = Phase.ENDED;
                stats.legitimate(kind, "the process had ended on its own (" + e.code() + ")");
                return;
            }
            if (state == ProcessState.PROCESS_STATE_FAILED && !t.guestFailed) {
                t.guestFailed = true;
                t.phase = Phase.ENDED;
                findings.add(
                        Findings.Kind.GUEST_FAILED,
                        t.id + ": " + now.get().getInfo().getFailure());
            }
            t.uncertain = true;
            if (faults.overlapped(mark)) {
                stats.legitimate(kind, "during an injected fault (" + e.code() + ")");
                return;
            }
            stats.unexpected(
                    kind, t.id, e.getMessage() + " [model: " + before + " on " + t.owner + "; cluster: " + state + "]");
        }
    }

    private Optional<ClusterProcess> get(String id) {
        try {
            return Optional.of(client.get(id));
        } catch (ClusterClientException e) {
            return Optional.empty();
        }
    }

    private String otherNode(Random random, String owner) {
        List<String> others = nodes.stream().filter(n -> !n.equals(owner)).toList();
        return others.get(random.nextInt(others.size()));
    }

    static String firstDifference(String expected, String got) {
        int i = 0;
        while (i < expected.length() && i < got.length() && expected.charAt(i) == got.charAt(i)) {
            i++;
        }
        int line = (int) expected.substring(0, i).chars().filter(c -> c == '\n').count() + 1;
        return "first difference at byte " + i + " (line " + line + "); expected " + expected.length() + " bytes, got "
                + got.length() + "; got there: '"
                + got.substring(i, Math.min(got.length(), i + 60)).replace("\n", "\\n") + "'";
    }
}
