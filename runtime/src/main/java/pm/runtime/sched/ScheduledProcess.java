package pm.runtime.sched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;
import pm.runtime.process.WasiProcess;

/**
 * One process under a {@link ProcessScheduler}: its place in the schedule, and the handle through
 * which any thread freezes, thaws, wakes, inspects or takes it back.
 *
 * <p>Status: QUEUED → RUNNING (a worker runs one slice) → QUEUED again (out of fuel, at the tail of
 * the run queue), SLEEPING (blocked in a host call; the shared timer or {@link #wake} queues it),
 * FROZEN (by {@link #freeze}; {@link #thaw} queues it) or ENDED (exited or failed). {@link #remove}
 * leads from any status to REMOVED, which is final, like ENDED. A parked process (QUEUED, SLEEPING,
 * FROZEN, ENDED) uses no thread; SLEEPING and FROZEN ones have no entry in the run queue either.
 *
 * <p>Threads: every public method may be called from any thread. The fields marked "guarded" are
 * read and written only under this object's monitor. The {@link WasiProcess} belongs to at most
 * one thread at a time, and {@code onThread} says whether one holds it: the worker running its slice
 * (status RUNNING), or the thread running {@link #whileParked} actions; otherwise nobody does, and
 * after {@link #remove} completes it belongs to the taker. {@link #fuelUsed}, {@link #slices} and
 * {@link #error} are written only by the worker that holds the process and readable by anyone.
 * Futures are completed outside the monitor, so their callbacks may call back into this handle.
 */
public final class ScheduledProcess {
    /** Where the process stands in the schedule. */
    public enum Status {
        QUEUED,
        RUNNING,
        SLEEPING,
        FROZEN,
        ENDED,
        REMOVED
    }

    private final ProcessScheduler scheduler;
    private final WasiProcess process;
    private final Consumer<ScheduledProcess> onEnd;

    private volatile Status status; // guarded for writes; volatile so status() needs no lock
    /** Guarded. Some thread holds the process: a worker in its slice, or whoever runs whileParked actions. */
    private boolean onThread;
    /** Guarded. An entry for this process sits in the run queue; stale once the status is no longer QUEUED. */
    private boolean inQueue;
    /** Guarded. {@link #freeze} came during the slice: its end parks the process frozen. */
    private boolean freezeWanted;
    /** Guarded. We asked the running slice to stop at a safepoint; its end withdraws the request if unused. */
    private boolean freezeIssued;
    /** Guarded. {@link #wake} came during the slice: if the slice ends sleeping, queue it at once. */
    private boolean wokenWhileRunning;
    /** Guarded. How long a slice that ended SLEEPING may sleep, measured by the worker at its end. */
    private long sleepNanos;
    /** The CPU quota, null for none; used only by the worker holding the process (set before it runs). */
    private volatile FuelQuota quota;
    /** Guarded. The timer that ends the current sleep, and which arming it is (a late firing of an older one is ignored). */
    private ScheduledFuture<?> timer;

    private long timerArming;
    /** Guarded. Callers of {@link #freeze} waiting for the process to leave its thread. */
    private List<CompletableFuture<Void>> freezeWaiters = new ArrayList<>(0);
    /** Guarded. {@link #whileParked} actions waiting for the process to leave its worker. */
    private List<Runnable> actions = new ArrayList<>(0);
    /** Guarded. Set once by {@link #remove}. */
    private CompletableFuture<WasiProcess> removal;

    private volatile long fuelUsed;
    private volatile long slices;
    private volatile Throwable error;

    ScheduledProcess(
            ProcessScheduler scheduler, WasiProcess process, boolean frozen, Consumer<ScheduledProcess> onEnd) {
        this.scheduler = scheduler;
        this.process = process;
        this.onEnd = onEnd;
        this.status = frozen ? Status.FROZEN : Status.QUEUED;
    }

    /**
     * The process itself. Touch it only while no thread holds it: inside a {@link #whileParked}
     * action, in the {@code onEnd} callback, or after {@link #remove} has handed it back.
     */
    public WasiProcess process() {
        return process;
    }

    public Status status() {
        return status;
    }

    /** Instructions the process retired in slices run by this scheduler. */
    public long fuelUsed() {
        return fuelUsed;
    }

    /** Slices this scheduler has run. */
    public long slices() {
        return slices;
    }

    /**
     * What {@link WasiProcess#run} threw (other than ending the process normally or by a trap),
     * which ended the process; null if it did not throw.
     */
    public Throwable error() {
        return error;
    }

    /**
     * Parks the process frozen. The future completes once it is frozen and on no thread: at once
     * if it is queued or sleeping, else when its slice stops at the next safepoint (a slice that
     * ends out of fuel or sleeping first is parked too). It stays frozen through wakes and timers
     * until {@link #thaw}. Fails if the process has ended or been removed, and is cancelled if
     * {@link #thaw} comes before it completes.
     */
    public CompletableFuture<Void> freeze() {
        CompletableFuture<Void> frozen = new CompletableFuture<>();
        synchronized (this) {
            switch (status) {
                case ENDED:
                case REMOVED:
                    return CompletableFuture.failedFuture(
                            new IllegalStateException("cannot freeze: process is " + status));
                case RUNNING:
                    freezeWanted = true;
                    stopAtSafepoint();
                    break;
                case QUEUED:
                case SLEEPING:
                    setStatus(Status.FROZEN);
                    break;
                default:
                    break;
            }
            if (onThread) {
                freezeWaiters.add(frozen);
                return frozen;
            }
        }
        frozen.complete(null);
        return frozen;
    }

    /**
     * Queues a frozen process; a process frozen while sleeping runs again only to find its
     * deadline not yet reached and goes back to sleep. Withdraws a freeze still in progress.
     * Otherwise does nothing.
     */
    public void thaw() {
        List<CompletableFuture<Void>> withdrawn;
        synchronized (this) {
            if (status == Status.FROZEN) {
                setStatus(Status.QUEUED);
                settleIfFree();
            } else if (status == Status.RUNNING) {
                freezeWanted = false;
            }
            withdrawn = freezeWaiters;
            freezeWaiters = new ArrayList<>(0);
        }
        for (CompletableFuture<Void> f : withdrawn) {
            f.completeExceptionally(new CancellationException("thawed before the freeze took effect"));
        }
    }

    /**
     * An external event for a sleeping process (a message arrived): queue it now rather than when
     * its timer fires. A wake during a slice that then ends sleeping queues it as well. A frozen
     * process stays frozen.
     */
    public void wake() {
        synchronized (this) {
            if (status == Status.SLEEPING) {
                setStatus(Status.QUEUED);
                settleIfFree();
            } else if (status == Status.RUNNING) {
                wokenWhileRunning = true;
            }
        }
    }

    /**
     * Runs {@code action} while the process is on no worker, then lets it go on in the status it
     * had: at once on this thread if the process is parked, else on its worker right after the
     * current slice. The process is held only for the action (a queued process goes to the tail of
     * the queue after it), so a migration can take the dirty-page set of a process that otherwise
     * keeps running. The action may touch {@link #process()}. Fails if the process was removed.
     */
    public <T> CompletableFuture<T> whileParked(Supplier<T> action) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable job = () -> {
            try {
                result.complete(action.get());
            } catch (RuntimeException | Error e) {
                result.completeExceptionally(e);
            }
        };
        synchronized (this) {
            if (status == Status.REMOVED) {
                return CompletableFuture.failedFuture(
                        new IllegalStateException("process was removed; its taker owns it"));
            }
            if (onThread) {
                actions.add(job);
                return result;
            }
            onThread = true;
        }
        job.run();
        release();
        return result;
    }

    /**
     * Stops scheduling the process and hands it back once it is on no thread (a running slice is
     * asked to stop at its next safepoint). Pending freezes fail. Calling it again returns the
     * same future.
     */
    public CompletableFuture<WasiProcess> remove() {
        List<Runnable> after = new ArrayList<>(0);
        CompletableFuture<WasiProcess> removed;
        synchronized (this) {
            if (removal != null) {
                return removal;
            }
            removal = new CompletableFuture<>();
            removed = removal;
            if (onThread) {
                if (status == Status.RUNNING) {
                    stopAtSafepoint();
                }
            } else {
                settle(after);
            }
        }
        after.forEach(Runnable::run);
        return removed;
    }

    // ---- called by the scheduler

    /** Puts a new handle in its first place: the run queue, or parked frozen. */
    void admit() {
        synchronized (this) {
            scheduler.moved(null, status);
            settleIfFree();
        }
    }

    /**
     * A worker took this handle's run-queue entry: runs one slice unless the entry is stale, of
     * {@code fuel} instructions, or {@code compiledFuel} while its code runs compiled.
     */
    void runSlice(long fuel, long compiledFuel) {
        synchronized (this) {
            inQueue = false;
            if (status != Status.QUEUED || onThread) {
                return; // frozen, removed or woken twice meanwhile; or held by an action, whose end queues it again
            }
            onThread = true;
            setStatus(Status.RUNNING);
        }
        long retired = process.instructionsRetired();
        FuelQuota q = quota;
        long slice = process.runsCompiledCode() ? compiledFuel : fuel;
        long allowed = q == null ? slice : q.available(slice);
        WasiProcess.State state;
        try {
            // An empty quota leaves the process as it is, runnable: it sleeps below until fuel accrues.
            state = allowed > 0 ? process.run(allowed) : WasiProcess.State.RUNNABLE;
        } catch (RuntimeException | Error e) {
            // A host-side failure rather than a guest trap: it ends this process, not the worker.
            error = e;
            state = WasiProcess.State.FAILED;
        }
        long used = process.instructionsRetired() - retired;
        fuelUsed += used; // one writer: the worker holding the process
        if (allowed > 0) {
            slices++;
        }
        long sleep = state == WasiProcess.State.SLEEPING ? process.nanosUntilWake() : 0;
        if (q != null) {
            q.spend(used);
            long throttled = state == WasiProcess.State.RUNNABLE ? q.nanosUntilAvailable() : 0;
            if (throttled > 0) {
                state = WasiProcess.State.SLEEPING; // the schedule's sleep: the timer queues it when fuel has accrued
                sleep = throttled;
            }
        }
        boolean ended;
        synchronized (this) {
            if (freezeIssued && state != WasiProcess.State.FROZEN) {
                process.cancelFreezeRequest(); // else the next slice, after a thaw, would stop at once
            }
            Status next = statusAfter(state);
            freezeIssued = false;
            freezeWanted = false;
            wokenWhileRunning = false;
            sleepNanos = sleep;
            setStatus(next);
            ended = next == Status.ENDED;
        }
        if (ended) {
            scheduler.ended(this, onEnd); // while this worker still holds the process, so onEnd may read it
        }
        release();
    }

    /**
     * Limits the process to {@code fuelPerSecond} instructions a second on average (0: no limit), from
     * its next slice: once it has spent its fuel it sleeps until more has accrued.
     */
    public void limitFuelPerSecond(long fuelPerSecond) {
        quota = fuelPerSecond > 0 ? new FuelQuota(fuelPerSecond, System::nanoTime) : null;
    }

    /** Asks a running slice to stop at its next safepoint, before its fuel runs out (used when closing). */
    synchronized void preempt() {
        if (status == Status.RUNNING) {
            stopAtSafepoint();
        }
    }

    // ---- the state machine, all under the monitor

    private Status statusAfter(WasiProcess.State state) {
        Status next;
        switch (state) {
            case EXITED:
            case FAILED:
                return Status.ENDED;
            case FROZEN:
                // Our own request, since withdrawn by thaw or made for remove or close, means go on;
                // any other was someone's freeze and is kept.
                next = freezeIssued && !freezeWanted ? Status.QUEUED : Status.FROZEN;
                break;
            case SLEEPING:
                next = wokenWhileRunning ? Status.QUEUED : Status.SLEEPING;
                break;
            default:
                next = Status.QUEUED;
                break;
        }
        return freezeWanted ? Status.FROZEN : next;
    }

    private void stopAtSafepoint() {
        if (!freezeIssued) {
            freezeIssued = true;
            process.requestFreeze();
        }
    }

    private void setStatus(Status next) {
        if (status == Status.SLEEPING && next != Status.SLEEPING && timer != null) {
            timer.cancel(false);
            timer = null;
        }
        scheduler.moved(status, next);
        status = next;
    }

    /** Lets go of the process: runs the actions that came meanwhile, then puts it where its status says. */
    private void release() {
        while (true) {
            List<Runnable> batch;
            List<Runnable> after = new ArrayList<>(0);
            synchronized (this) {
                if (actions.isEmpty()) {
                    onThread = false;
                    settle(after);
                    batch = null; // decided here: once the monitor is let go, another thread may hold the process
                } else {
                    batch = actions;
                    actions = new ArrayList<>(0);
                }
            }
            if (batch == null) {
                after.forEach(Runnable::run);
                return;
            }
            batch.forEach(Runnable::run);
        }
    }

    /** For transitions that leave nothing to complete (to QUEUED): settles at once unless a thread holds the process. */
    private void settleIfFree() {
        if (!onThread) {
            List<Runnable> after = new ArrayList<>(0);
            settle(after);
            assert after.isEmpty();
        }
    }

    /**
     * Puts a process no thread holds where its status says: a QUEUED one into the run queue, a
     * SLEEPING one under the timer; completes freezes and a removal. Completions go to
     * {@code after}, to be run outside the monitor.
     */
    private void settle(List<Runnable> after) {
        if (status == Status.REMOVED) {
            return;
        }
        if (removal != null) {
            setStatus(Status.REMOVED);
            failFreezes(after, "process was removed");
            CompletableFuture<WasiProcess> removed = removal;
            after.add(() -> removed.complete(process));
            return;
        }
        switch (status) {
            case QUEUED:
                if (!inQueue) {
                    inQueue = true;
                    scheduler.enqueue(this);
                }
                break;
            case SLEEPING:
                if (timer == null) {
                    armTimer();
                }
                break;
            case FROZEN:
                if (!freezeWaiters.isEmpty()) {
                    List<CompletableFuture<Void>> done = freezeWaiters;
                    freezeWaiters = new ArrayList<>(0);
                    after.add(() -> done.forEach(f -> f.complete(null)));
                }
                break;
            case ENDED:
                failFreezes(after, "process ended");
                break;
            default:
                break;
        }
    }

    private void armTimer() {
        if (sleepNanos == Long.MAX_VALUE) {
            return; // parked until wake(): e.g. a receive on an empty mailbox has no deadline
        }
        if (sleepNanos <= 0) {
            setStatus(Status.QUEUED); // the deadline has passed already
            settle(new ArrayList<>(0));
            return;
        }
        long arming = ++timerArming;
        timer = scheduler.wakeAfter(sleepNanos, () -> timerFired(arming)); // null once closed: stays parked
    }

    private void timerFired(long arming) {
        synchronized (this) {
            if (status != Status.SLEEPING || arming != timerArming) {
                return; // woken, frozen or removed meanwhile
            }
            timer = null;
            setStatus(Status.QUEUED);
            settleIfFree();
        }
    }

    private void failFreezes(List<Runnable> after, String why) {
        if (freezeWaiters.isEmpty()) {
            return;
        }
        List<CompletableFuture<Void>> failed = freezeWaiters;
        freezeWaiters = new ArrayList<>(0);
        after.add(
                () -> failed.forEach(f -> f.completeExceptionally(new IllegalStateException("cannot freeze: " + why))));
    }
}
