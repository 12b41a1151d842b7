package pm.runtime.interp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import pm.runtime.TrapException;
import pm.runtime.image.StateBlob;
import pm.runtime.support.Wat;

/** Freezing from another thread, resuming in a new machine, and the call-depth limit. */
class FreezeAndLimitsTest {
    // Counts a global up to $n in a tight loop that makes no calls: only the back-edge is a safepoint.
    private static final String COUNT_TO = "(module (global $i (mut i64) (i64.const 0))"
            + " (func (export \"count\") (param $n i64) (result i64)"
            + "   (loop $l (global.set $i (i64.add (global.get $i) (i64.const 1)))"
            + "            (br_if $l (i64.lt_u (global.get $i) (local.get $n))))"
            + "   (global.get $i)))";

    private static final String RECURSE = "(module (func $down (export \"down\") (param $n i32) (result i32)"
            + "   (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0))"
            + "     (else (i32.add (i32.const 1) (call $down (i32.sub (local.get $n) (i32.const 1))))))))";

    @Test
    void freezeFromAnotherThreadStopsATightLoopAndStateResumesInANewMachine() throws Exception {
        CompiledModule module = CompiledModule.compile(Wat.toWasm(COUNT_TO));
        Instance instance = Instance.instantiate(module, Imports.none(), new Store(), Limits.DEFAULT);
        Machine machine = new Machine(instance.store(), Limits.DEFAULT);
        long n = 20_000_000L; // about a second of looping: the freeze lands long before the end
        machine.start(instance.function("count"), n);
        CountDownLatch running = new CountDownLatch(1);

        CompletableFuture<Machine.RunResult> run = CompletableFuture.supplyAsync(() -> {
            running.countDown();
            return machine.run(Long.MAX_VALUE);
        });
        running.await();
        machine.requestFreeze();

        assertThat(run.get(10, TimeUnit.SECONDS)).isEqualTo(Machine.RunResult.FROZEN);
        assertThat(machine.status()).isEqualTo(Machine.Status.SUSPENDED);
        byte[] blob = StateBlob.encode(Snapshots.capture(instance, machine));
        Snapshots.Restored restored =
                Snapshots.restore(module, StateBlob.decode(blob), Imports.none(), new Store(), Limits.DEFAULT);
        assertThat(restored.machine().instructionsRetired())
                .isEqualTo(machine.instructionsRetired())
                .isPositive();

        assertThat(restored.machine().run(Long.MAX_VALUE)).isEqualTo(Machine.RunResult.COMPLETED);
        assertThat(restored.machine().results()).containsExactly(n);
    }

    @Test
    void freezeRequestedBeforeRunIsHonouredAtTheFirstSafepoint() {
        Instance instance = Instance.instantiate(
                CompiledModule.compile(Wat.toWasm(COUNT_TO)), Imports.none(), new Store(), Limits.DEFAULT);
        Machine machine = new Machine(instance.store(), Limits.DEFAULT);
        machine.start(instance.function("count"), Long.MAX_VALUE);

        machine.requestFreeze();

        assertThat(machine.run(Long.MAX_VALUE)).isEqualTo(Machine.RunResult.FROZEN);
        assertThat(machine.instructionsRetired()).isLessThan(20);
        assertThat(machine.run(1000)).isEqualTo(Machine.RunResult.OUT_OF_FUEL); // the request was consumed
    }

    @Test
    void deepRecursionWithinTheLimitCompletes() {
        Instance instance = Instance.instantiate(
                CompiledModule.compile(Wat.toWasm(RECURSE)), Imports.none(), new Store(), Limits.DEFAULT);
        long[] r = new Machine(instance.store(), Limits.DEFAULT.withMaxCallDepth(10_001))
                .invoke(instance.function("down"), 10_000);
        assertThat(r).containsExactly(10_000);
    }

    @Test
    void recursionPastTheConfiguredDepthTrapsCleanly() {
        Instance instance = Instance.instantiate(
                CompiledModule.compile(Wat.toWasm(RECURSE)), Imports.none(), new Store(), Limits.DEFAULT);
        Machine machine = new Machine(instance.store(), Limits.DEFAULT.withMaxCallDepth(1_000));

        assertThatThrownBy(() -> machine.invoke(instance.function("down"), 1_000))
                .isInstanceOf(TrapException.class)
                .hasMessage("call stack exhausted");
        assertThat(machine.status()).isEqualTo(Machine.Status.IDLE);
        assertThat(machine.invoke(instance.function("down"), 999)).containsExactly(999);
    }

    @Test
    void unboundedRecursionTrapsWithoutStackOverflowError() {
        Instance instance = Instance.instantiate(
                CompiledModule.compile(Wat.toWasm("(module (func $f (export \"f\") (call $f)))")),
                Imports.none(),
                new Store(),
                Limits.DEFAULT);

        assertThatThrownBy(() -> new Machine(instance.store(), Limits.DEFAULT).invoke(instance.function("f")))
                .isInstanceOf(TrapException.class)
                .hasMessage("call stack exhausted");
    }
}
