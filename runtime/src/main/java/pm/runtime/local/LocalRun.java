package pm.runtime.local;

import pm.runtime.process.WasiProcess;

/**
 * Drives one process on the calling thread until it exits, fails or freezes: it runs in long
 * slices (the scheduler's fairness is not needed for one program), and while the program sleeps in
 * a host call (poll_oneoff) it waits for the wake-up time or a freeze, whichever comes first.
 */
final class LocalRun {
    /** Fuel per slice: large, since slices only matter here for sleeping and freezing. */
    private static final long SLICE = 1L << 40;

    /** How a run ended. */
    enum Ending {
        EXITED,
        FAILED,
        FROZEN
    }

    private LocalRun() {}

    static Ending drive(WasiProcess process, FreezeTrigger trigger) throws InterruptedException {
        while (true) {
            switch (process.run(SLICE)) {
                case EXITED:
                    return Ending.EXITED;
                case FAILED:
                    return Ending.FAILED;
                case FROZEN:
                    return Ending.FROZEN;
                case SLEEPING:
                    if (trigger.awaitNanos(process.nanosUntilWake())) {
                        return Ending.FROZEN; // between slices: the image can be written as it stands
                    }
                    break;
                default:
                    if (trigger.requested()) {
                        return Ending.FROZEN;
                    }
                    break;
            }
        }
    }
}
