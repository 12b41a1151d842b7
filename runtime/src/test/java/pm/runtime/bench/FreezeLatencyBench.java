package pm.runtime.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Imports;
import pm.runtime.interp.Instance;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.interp.Store;
import pm.runtime.support.Wat;

/**
 * How long {@link Machine#requestFreeze()} takes to stop a running machine: from the requesting
 * thread's {@code System.nanoTime()} just before the request to the running thread's just after
 * {@code run} returned {@code FROZEN}. The baseline is the same two-thread measurement with the
 * machine replaced by a spin on a volatile flag, i.e. the bare cost of one thread seeing another's
 * write; the freeze figures are best read against it. See README.md here.
 */
public final class FreezeLatencyBench {
    /** What the runner thread does until the other thread stops it. */
    interface Target {
        /** Runs until stopped; returns instructions retired meanwhile (0 if not counted). */
        long runUntilStopped();

        /** Called from the other thread. */
        void stop();
    }

    /** Latencies in nanoseconds, plus what the runner did meanwhile. */
    record Result(long[] latencies, long instructions, long runNanos, int lostRequests) {}

    private static final long LOST_AFTER = TimeUnit.SECONDS.toNanos(1);

    private FreezeLatencyBench() {}

    public static void main(String[] args) throws Exception {
        int iterations = Integer.getInteger("bench.iterations", 2000);
        int warmup = Integer.getInteger("bench.warmup", 500);
        CompiledModule module = CompiledModule.compile(loops());
        System.out.printf(
                "freeze latency: %d measured stops per row after %d warm-up stops, request after a random 0.2-2 ms,"
                        + " rows interleaved round-robin%n",
                iterations, warmup);
        System.out.println(InterpreterSpeedBench.host());

        Map<String, Target> rows = new LinkedHashMap<>();
        rows.put("baseline: volatile flag seen by a spin loop", new VolatileSpin());
        for (String loop : List.of("spin", "arith", "calls")) {
            rows.put("interp: " + loop, new Frozen(machine(module, loop, Machine.Tier.INTERP)));
        }
        for (String loop : List.of("spin", "arith", "calls")) {
            rows.put("compiled: " + loop, new Frozen(machine(module, loop, Machine.Tier.COMPILED)));
        }
        CompiledModule deep = CompiledModule.compile(Wat.toWasm(DEEP));
        rows.put(
                "compiled: recursion 0-" + DEPTH + " frames deep",
                new Frozen(machine(deep, "deep", Machine.Tier.COMPILED)));
        rows.put(
                "compiled: memory.fill of " + (FILL >> 20) + " MiB",
                new Frozen(machine(deep, "fill", Machine.Tier.COMPILED)));
        Target[] targets = rows.values().toArray(new Target[0]);
        // An unmeasured pass first. The dispatch loop is one method: compiled with a profile that
        // lacks some loop's opcodes or freeze exit, it deoptimises when that loop runs, and C2
        // recompiles it (a second or more on a small machine) while the samples would be taken.
        measure(targets, warmup, 0);
        Result[] results = measure(targets, warmup, iterations);

        System.out.printf("%-44s %8s %8s %8s %8s %10s%n", "(microseconds)", "p50", "p90", "p99", "max", "guest rate");
        long[] base = sorted(results[0]);
        int i = 0;
        for (String row : rows.keySet()) {
            Result r = results[i++];
            long[] l = sorted(r);
            String rate =
                    r.instructions() == 0 ? "" : String.format("%.0f M/s", r.instructions() / (r.runNanos() / 1e3));
            System.out.printf(
                    "%-44s %8.2f %8.2f %8.2f %8.2f %10s%s%n",
                    row,
                    pct(l, 50),
                    pct(l, 90),
                    pct(l, 99),
                    l[l.length - 1] / 1e3,
                    rate,
                    r.lostRequests() == 0 ? "" : "  (" + r.lostRequests() + " requests lost, re-sent)");
            if (i > 1) { // not for the baseline itself
                System.out.printf(
                        "%-44s %8.1f %8.1f %8.1f%n",
                        "  ratio to baseline",
                        pct(l, 50) / pct(base, 50),
                        pct(l, 90) / pct(base, 90),
                        pct(l, 99) / pct(base, 99));
            }
        }
    }

    static final int DEPTH = 500;
    static final int FILL = 16 << 20;

    /**
     * Compiled-tier rows beyond the loops: {@code deep} calls a function that recurses {@code DEPTH}
     * frames down and back, without end, so a freeze unwinds however many compiled frames are
     * active; {@code fill} repeats a {@code memory.fill} of {@code FILL} bytes, one instruction
     * that a freeze waits for.
     */
    private static final String DEEP = "(module (memory " + (FILL >> 16) + ")"
            + " (func $rec (param i32) (result i32)"
            + "   (if (result i32) (local.get 0)"
            + "     (then (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))"
            + "     (else (i32.const 0))))"
            + " (func (export \"deep\") (loop (drop (call $rec (i32.const " + DEPTH + "))) (br 0)))"
            + " (func (export \"fill\") (local i32)"
            + "   (loop (memory.fill (i32.const 0) (local.get 0) (i32.const " + FILL + "))"
            + "         (local.set 0 (i32.add (local.get 0) (i32.const 1))) (br 0))))";

    private static Machine machine(CompiledModule module, String export, Machine.Tier tier) {
        Limits limits = Limits.DEFAULT.withTier(tier);
        Instance instance = Instance.instantiate(module, Imports.none(), new Store(), limits);
        Machine machine = new Machine(instance.store(), limits);
        machine.start(instance.function(export));
        return machine;
    }

    private static long[] sorted(Result r) {
        long[] l = r.latencies().clone();
        Arrays.sort(l);
        return l;
    }

    /** Nearest-rank percentile of sorted nanoseconds, in microseconds. */
    private static double pct(long[] sorted, int p) {
        return sorted[Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1e3;
    }

    /**
     * One runner thread calls {@link Target#runUntilStopped} of each target in turn; this thread
     * waits for it to start each round, sleeps a random 0.2-2 ms, takes the time and stops it.
     * Interleaving the targets makes slow drift of the machine (other load, CPU frequency, the VM's
     * scheduling) fall on all rows alike, so they can be compared with each other.
     */
    static Result[] measure(Target[] targets, int warmup, int iterations) throws InterruptedException {
        int k = targets.length;
        int rounds = (warmup + iterations) * k;
        long[] stoppedAt = new long[rounds];
        long[] runNanos = new long[rounds];
        long[] retired = new long[rounds];
        // Volatile handshakes; everything the runner writes before publishing `done` is then visible.
        AtomicInteger started = new AtomicInteger(-1);
        AtomicInteger done = new AtomicInteger(-1);
        Thread runner = new Thread(
                () -> {
                    for (int i = 0; i < rounds; i++) {
                        started.set(i);
                        long t = System.nanoTime();
                        retired[i] = targets[i % k].runUntilStopped();
                        stoppedAt[i] = System.nanoTime();
                        runNanos[i] = stoppedAt[i] - t;
                        done.set(i);
                    }
                },
                "bench-runner");
        runner.setDaemon(true);
        runner.start();
        long[][] latencies = new long[k][iterations];
        long[] instructions = new long[k];
        long[] nanos = new long[k];
        int[] lost = new int[k];
        for (int i = 0; i < rounds; i++) {
            while (started.get() != i) {
                Thread.onSpinWait();
            }
            LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(200_000, 2_000_000));
            long requestedAt = System.nanoTime();
            targets[i % k].stop();
            // Machine.run clears a pending request on entry, so a request that lands before the
            // runner got there is lost. Re-send it rather than hang; the runner has been running
            // for a second by then, so the re-sent request gives a fair sample.
            while (done.get() != i) {
                if (System.nanoTime() - requestedAt > LOST_AFTER) {
                    lost[i % k]++;
                    requestedAt = System.nanoTime();
                    targets[i % k].stop();
                }
                // The runner timestamps its own stop, so this thread need not see it promptly:
                // park rather than spin, to leave the CPU to the runner, the JIT and the GC.
                LockSupport.parkNanos(20_000);
            }
            int sample = i / k - warmup;
            if (sample >= 0) {
                latencies[i % k][sample] = stoppedAt[i] - requestedAt;
                instructions[i % k] += retired[i];
                nanos[i % k] += runNanos[i];
            }
        }
        runner.join();
        Result[] results = new Result[k];
        for (int t = 0; t < k; t++) {
            results[t] = new Result(latencies[t], instructions[t], nanos[t], lost[t]);
        }
        return results;
    }

    /** The baseline: a spin on a volatile flag, the same check the interpreter makes at back-edges. */
    static final class VolatileSpin implements Target {
        private volatile boolean stop;

        @Override
        public long runUntilStopped() {
            while (!stop) {
                // spin
            }
            stop = false;
            return 0;
        }

        @Override
        public void stop() {
            stop = true;
        }
    }

    /** Our machine in an endless loop; each round resumes it where the last freeze left it. */
    static final class Frozen implements Target {
        private final Machine machine;

        Frozen(Machine machine) {
            this.machine = machine;
        }

        @Override
        public long runUntilStopped() {
            long before = machine.instructionsRetired();
            Machine.RunResult r = machine.run(Long.MAX_VALUE);
            if (r != Machine.RunResult.FROZEN) {
                throw new AssertionError("expected FROZEN, got " + r);
            }
            return machine.instructionsRetired() - before;
        }

        @Override
        public void stop() {
            machine.requestFreeze();
        }
    }

    /**
     * A hand-assembled module (so the benchmark needs no wat2wasm) equivalent to:
     * <pre>
     * (module
     *   (func (export "spin") (loop (br 0)))
     *   (func (export "arith") (local i32 i32)             ;; an LCG and a rotate-xor per iteration
     *     (loop
     *       (local.set 1
     *         (i32.rotl
     *           (i32.xor (local.tee 0 (i32.add (i32.mul (local.get 0) (i32.const 1664525)) (i32.const 1013904223)))
     *                    (local.get 1))
     *           (i32.const 7)))
     *       (br 0)))
     *   (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
     *   (func (export "calls") (local i32) (loop (local.set 0 (call $inc (local.get 0))) (br 0))))
     * </pre>
     */
    static byte[] loops() {
        byte[] spin = body(0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b);
        ByteArrayOutputStream arith = new ByteArrayOutputStream();
        arith.writeBytes(bytes(0x01, 0x02, 0x7f, 0x03, 0x40, 0x20, 0x00, 0x41));
        arith.writeBytes(sleb(1664525));
        arith.writeBytes(bytes(0x6c, 0x41));
        arith.writeBytes(sleb(1013904223));
        arith.writeBytes(
                bytes(0x6a, 0x22, 0x00, 0x20, 0x01, 0x73, 0x41, 0x07, 0x77, 0x21, 0x01, 0x0c, 0x00, 0x0b, 0x0b));
        byte[] inc = body(0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x0b);
        byte[] calls = body(0x01, 0x01, 0x7f, 0x03, 0x40, 0x20, 0x00, 0x10, 0x02, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b);

        ByteArrayOutputStream m = new ByteArrayOutputStream();
        m.writeBytes(bytes(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00));
        section(m, 1, bytes(0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f)); // () -> (), (i32) -> i32
        section(m, 3, bytes(0x04, 0x00, 0x00, 0x01, 0x00)); // spin, arith, inc, calls
        ByteArrayOutputStream exports = new ByteArrayOutputStream();
        exports.write(3);
        export(exports, "spin", 0);
        export(exports, "arith", 1);
        export(exports, "calls", 3);
        section(m, 7, exports.toByteArray());
        ByteArrayOutputStream code = new ByteArrayOutputStream();
        code.write(4);
        code.writeBytes(spin);
        code.writeBytes(withSize(arith.toByteArray()));
        code.writeBytes(inc);
        code.writeBytes(calls);
        section(m, 10, code.toByteArray());
        return m.toByteArray();
    }

    private static void export(ByteArrayOutputStream out, String name, int function) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        out.write(n.length);
        out.writeBytes(n);
        out.write(0x00); // function export
        out.write(function);
    }

    private static void section(ByteArrayOutputStream out, int id, byte[] content) {
        out.write(id);
        out.writeBytes(withSize(content));
    }

    private static byte[] body(int... b) {
        return withSize(bytes(b));
    }

    private static byte[] withSize(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(content.length); // every size here is below 128, so one LEB128 byte
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    private static byte[] sleb(int v) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            int b = v & 0x7f;
            v >>= 7;
            if ((v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0)) {
                out.write(b);
                return out.toByteArray();
            }
            out.write(b | 0x80);
        }
    }
}
