package pm.runtime.sched;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import pm.runtime.process.WasiProcess;
import pm.runtime.sched.ScheduledProcess.Status;

/**
 * Time-slices many processes on a few platform threads. One FIFO run queue feeds {@code workers}
 * threads ({@code pm-sched-N}); each takes the head, runs one slice of at most {@code fuelPerSlice}
 * instructions ({@link #COMPILED_SLICE_FACTOR} times as many while its code runs compiled) and, if the process can go on, puts it back at the tail. So every runnable process
 * gets the same fuel per round, and a runaway loop only ever holds a worker for one slice. A process
 * blocked in a host call (sleeping) holds neither a thread nor a queue entry: one shared timer thread
 * ({@code pm-sched-timer}) queues it when its deadline comes, or {@link ScheduledProcess#wake} does
 * earlier. A frozen process holds nothing. The state of each process lives in its
 * {@link ScheduledProcess} handle; see there which thread owns what.
 *
 * <p>Threads: {@link #add}, the gauges and {@link #close} may be called from any thread. The run
 * queue, the timer and the per-status counts are thread-safe; a handle takes its own monitor first
 * and may then use them, never the other way round.
 *
 * <p>Lifecycle: OPEN from construction (the threads start at once), CLOSED by {@link #close}, which
 * is idempotent.
 */
public final class ProcessScheduler implements AutoCloseable {
    private enum State {
        OPEN,
        CLOSED
    }

    private static final long PERMIT_POLL_MILLIS = 10;

    private final AtomicReference<State> state = new AtomicReference<>(State.OPEN);
    private final long fuelPerSlice;
    /**
     * A slice of compiled code: {@link #COMPILED_SLICE_FACTOR} times as many instructions, which it
     * runs in about the time the interpreter runs {@link #fuelPerSlice}.
     */
    private final long compiledFuelPerSlice;

    /**
     * Compiled code retires instructions about this many times faster than the interpreter (bzip2:
     * 4 million in ~0.6 ms, as the interpreter runs 100 000). Slices of equal time keep the tiers fair
     * to each other, and spare compiled code the cost of each slice's end: its frames leave compiled
     * code and come back (bzip2 in slices of 100 000 took ×1.55 the time of one slice, in slices of
     * 4 million ×1.19; {@code SliceLengthBench}).
     */
    public static final long COMPILED_SLICE_FACTOR = 40;

    private final LinkedBlockingDeque<ScheduledProcess> runQueue = new LinkedBlockingDeque<>();
    /** Put at the head of the run queue by {@link #close}, one per worker: stop. */
    private final ScheduledProcess stop = new ScheduledProcess(this, null, true, p -> {});

    private final ScheduledThreadPoolExecutor timer;
    private final List<Worker> workers = new ArrayList<>();
    private final AtomicIntegerArray counts = new AtomicIntegerArray(Status.values().length);
    /** Processes neither ended nor removed: counted apart, since a move between two live statuses would show in the sum above. */
    private final java.util.concurrent.atomic.AtomicInteger members = new java.util.concurrent.atomic.AtomicInteger();
    /** Asked by each worker before it takes a slice: while false, no slice starts (the embedder's lease has lapsed). */
    private final BooleanSupplier mayRun;

    public ProcessScheduler(int workers, long fuelPerSlice) {
        this(workers, fuelPerSlice, () -> true);
    }

    /**
     * {@code mayRun} is asked by the worker before every slice, once it holds the process: while it says
     * no, workers start no slice (they look again every {@value #PERMIT_POLL_MILLIS} ms). The timer thread
     * asks it as often and cuts the slices under way short at their next safepoint when it says no, so
     * nothing runs past it by more than that poll, also after the whole JVM was stopped (SIGSTOP, a long
     * pause) in the middle of a slice. It must be cheap and must not block.
     */
    public ProcessScheduler(int workers, long fuelPerSlice, BooleanSupplier mayRun) {
        this.mayRun = Objects.requireNonNull(mayRun, "mayRun");
        if (workers < 1 || fuelPerSlice < 1) {
            throw new IllegalArgumentException("need at least one worker and one instruction per slice, got " + workers
                    + " workers and " + fuelPerSlice + " fuel");
        }
        this.fuelPerSlice = fuelPerSlice;
        this.compiledFuelPerSlice = fuelPerSlice > Long.MAX_VALUE / COMPILED_SLICE_FACTOR
                ? Long.MAX_VALUE
                : fuelPerSlice * COMPILED_SLICE_FACTOR;
        this.timer = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "pm-sched-timer"));
        timer.setRemoveOnCancelPolicy(true); // a woken sleeper's timer leaves the heap at once
        for (int i = 0; i < workers; i++) {
            Worker w = new Worker();
            w.thread = daemon(w, "pm-sched-" + i);
            this.workers.add(w);
        }
        this.workers.forEach(w -> w.thread.start());
        timer.scheduleWithFixedDelay(
                this::preemptIfNotPermitted, PERMIT_POLL_MILLIS, PERMIT_POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** On the timer thread: the slices under way stop at their next safepoint once {@code mayRun} says no. */
    private void preemptIfNotPermitted() {
        if (mayRun.getAsBoolean()) {
            return;
        }
        for (Worker w : workers) {
            ScheduledProcess current = w.current;
            if (current != null) {
                current.preempt();
            }
        }
    }

    /**
     * Schedules {@code process}: queued at the tail, or parked frozen until
     * {@link ScheduledProcess#thaw}. {@code onEnd} is called once, on a worker, when the process
     * exits or fails (a trap, an exceeded limit, or an exception from the runtime). The scheduler
     * keeps no list of its processes: a frozen or ended one is held by the returned handle alone.
     */
    public ScheduledProcess add(WasiProcess process, boolean startFrozen, Consumer<ScheduledProcess> onEnd) {
        Objects.requireNonNull(process, "process");
        Objects.requireNonNull(onEnd, "onEnd");
        if (state.get() != State.OPEN) {
            throw new IllegalStateException("scheduler is closed");
        }
        ScheduledProcess handle = new ScheduledProcess(this, process, startFrozen, onEnd);
        handle.admit();
        return handle;
    }

    public long fuelPerSlice() {
        return fuelPerSlice;
    }

    /** Processes waiting for a worker. */
    public int runQueueLength() {
        return counts.get(Status.QUEUED.ordinal());
    }

    /** Processes in a slice now. */
    public int running() {
        return counts.get(Status.RUNNING.ordinal());
    }

    public int sleeping() {
        return counts.get(Status.SLEEPING.ordinal());
    }

    public int frozen() {
        return counts.get(Status.FROZEN.ordinal());
    }

    /** Processes scheduled and neither ended nor removed. */
    public int size() {
        return members.get();
    }

    /**
     * Stops the workers, once their current slices have stopped at a safepoint, and the timer.
     * Every process stays in its handle, parked in the status it had (a sleeper is no longer woken
     * by its timer); {@link ScheduledProcess#remove} still hands it back.
     */
    @Override
    public void close() {
        if (!state.compareAndSet(State.OPEN, State.CLOSED)) {
            return;
        }
        for (Worker w : workers) {
            runQueue.offerFirst(stop);
            ScheduledProcess current = w.current;
            if (current != null) {
                current.preempt();
            }
        }
        boolean interrupted = false;
        for (Worker w : workers) {
            while (w.thread != Thread.currentThread() && w.thread.isAlive()) {
                try {
                    w.thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        timer.shutdownNow();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- called by the handles

    void enqueue(ScheduledProcess p) {
        runQueue.offerLast(p);
    }

    /** Runs {@code wake} on the timer thread after {@code nanos}; null once the scheduler is closed. */
    ScheduledFuture<?> wakeAfter(long nanos, Runnable wake) {
        try {
            return timer.schedule(wake, nanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
            return null;
        }
    }

    void moved(Status from, Status to) {
        if (from != null) {
            counts.decrementAndGet(from.ordinal());
        }
        counts.incrementAndGet(to.ordinal());
        boolean wasLive = from != null && live(from);
        if (wasLive != live(to)) {
            members.addAndGet(wasLive ? -1 : 1);
        }
    }

    private static boolean live(Status s) {
        return s != Status.ENDED && s != Status.REMOVED;
    }

    void ended(ScheduledProcess p, Consumer<ScheduledProcess> onEnd) {
        try {
            onEnd.accept(p);
        } catch (RuntimeException e) {
            Thread t = Thread.currentThread();
            t.getUncaughtExceptionHandler().uncaughtException(t, e); // reported; the worker goes on
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** One worker thread: takes the head of the run queue and runs its slice, until told to stop. */
    private final class Worker implements Runnable {
        Thread thread;
        /** The handle whose slice runs now, so that {@link #close} can cut it short. */
        volatile ScheduledProcess current;

        @Override
        public void run() {
            while (true) {
                ScheduledProcess p;
                try {
                    while (!mayRun.getAsBoolean()) {
                        if (state.get() == State.CLOSED) {
                            return;
                        }
                        Thread.sleep(PERMIT_POLL_MILLIS); // before taking one: a queued process stays freezable
                    }
                    p = runQueue.takeFirst();
                } catch (InterruptedException e) {
                    return;
                }
                if (p == stop) {
                    return;
                }
                if (!mayRun.getAsBoolean()) { // it lapsed while this worker waited for the queue (a sleeper woke)
                    runQueue.offerFirst(p);
                    continue;
                }
                current = p;
                if (state.get() == State.CLOSED) { // close() may have looked before `current` was set
                    runQueue.offerFirst(p);
                    return;
                }
                p.runSlice(fuelPerSlice, compiledFuelPerSlice);
                current = null;
            }
        }
    }
}
