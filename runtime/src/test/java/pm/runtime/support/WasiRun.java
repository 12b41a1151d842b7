package pm.runtime.support;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import pm.runtime.image.StateBlob;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Instance;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.interp.Snapshots;
import pm.runtime.interp.Store;
import pm.runtime.wasi.ProcessExit;
import pm.runtime.wasi.WasiPreview1;
import pm.runtime.wasi.WasiSession;
import pm.v1.WasiState;

/**
 * Runs a WASI command to its end on the calling thread, sleeping through poll_oneoff waits. With a
 * finite slice it freezes every {@code slice} instructions (and at every sleep), writes execution
 * and WASI state to bytes, and continues in a new session, store, instance and machine bound to
 * fresh host endpoints from {@code host}.
 */
public final class WasiRun {
    private static final long FS_BYTES = 64L << 20;
    /**
     * The interpreter, whose fuel is exact per instruction: callers size slices from a first run's
     * instruction count, and need both runs counted alike. (AUTO would switch tiers at a moment
     * that depends on a background compile; the compiled tier's round trips are CompiledTierTest's.)
     */
    private static final Limits LIMITS = Limits.DEFAULT.withTier(Machine.Tier.INTERP);

    /** What a run produced. */
    public record Outcome(int exit, long instructions, int roundTrips, WasiSession session) {}

    private WasiRun() {}

    public static Outcome run(CompiledModule module, WasiSession session) {
        return run(module, session, null, Long.MAX_VALUE);
    }

    public static Outcome run(
            CompiledModule module, WasiSession session, Supplier<WasiSession.Builder> host, long slice) {
        Store store = new Store();
        Instance instance = Instance.instantiate(module, new WasiPreview1(session).imports(), store, LIMITS);
        Machine machine = new Machine(store, LIMITS);
        machine.start(instance.function("_start"));
        int trips = 0;
        try {
            for (; ; ) {
                Machine.RunResult r = machine.run(slice);
                if (r == Machine.RunResult.COMPLETED) {
                    return new Outcome(0, machine.instructionsRetired(), trips, session);
                }
                if (host != null) {
                    byte[] execution = StateBlob.encode(Snapshots.capture(instance, machine));
                    byte[] wasi = session.capture().toByteArray();
                    session = host.get().restore(WasiState.parseFrom(wasi), FS_BYTES);
                    Snapshots.Restored restored = Snapshots.restore(
                            module,
                            StateBlob.decode(execution),
                            new WasiPreview1(session).imports(),
                            new Store(),
                            LIMITS);
                    instance = restored.instance();
                    machine = restored.machine();
                    trips++;
                }
                if (r == Machine.RunResult.BLOCKED) {
                    LockSupport.parkNanos(Math.min(session.nanosUntilWake(), TimeUnit.SECONDS.toNanos(1)));
                }
            }
        } catch (ProcessExit e) {
            return new Outcome(e.status(), machine.instructionsRetired(), trips, session);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }
}
