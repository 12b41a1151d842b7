package pm.runtime.support;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Instance;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.interp.Store;
import pm.runtime.wasi.ProcessExit;
import pm.runtime.wasi.WasiPreview1;
import pm.runtime.wasi.WasiSession;

/** Runs a WASI command to its end on the calling thread, sleeping through poll_oneoff waits. */
public final class WasiRun {
    private WasiRun() {}

    /** Returns the exit status (0 when _start returns). */
    public static int run(CompiledModule module, WasiSession session) {
        Store store = new Store();
        Instance instance = Instance.instantiate(module, new WasiPreview1(session).imports(), store, Limits.DEFAULT);
        Machine machine = new Machine(store, Limits.DEFAULT);
        machine.start(instance.function("_start"));
        try {
            while (machine.run(Long.MAX_VALUE) == Machine.RunResult.BLOCKED) {
                LockSupport.parkNanos(Math.min(session.nanosUntilWake(), TimeUnit.SECONDS.toNanos(1)));
            }
            return 0;
        } catch (ProcessExit e) {
            return e.status();
        }
    }
}
