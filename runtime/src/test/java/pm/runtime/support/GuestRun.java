package pm.runtime.support;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import pm.runtime.image.StateBlob;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Instance;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.interp.Snapshots;
import pm.runtime.interp.Store;
import pm.runtime.wasi.InputSource;
import pm.runtime.wasi.ProcessExit;
import pm.runtime.wasi.WasiPreview1;
import pm.runtime.wasi.WasiSession;
import pm.v1.WasiState;

/**
 * Runs a WASI command module (its {@code _start}) on our interpreter, optionally stopping at given
 * instruction counts to capture the state, encode it, and restore it into a brand-new store,
 * instance and machine before going on.
 */
public final class GuestRun {
    public static final Path GUEST_DIR = Paths.get("src", "test", "guest");

    /** What a run produced. */
    public record Outcome(String stdout, int exitCode, long instructions, int roundTrips) {}

    private GuestRun() {}

    public static byte[] wasm(String name) throws IOException {
        return Files.readAllBytes(GUEST_DIR.resolve("wasm").resolve(name + ".wasm"));
    }

    public static String expected(String name) throws IOException {
        return Files.readString(GUEST_DIR.resolve("expected").resolve(name + ".out"));
    }

    public static Outcome run(CompiledModule module, List<String> args, byte[] stdin) {
        return run(module, args, stdin, new long[0]);
    }

    /** {@code count} stop points drawn uniformly from [1, instructions) with {@code seed}. */
    public static long[] stopPoints(long instructions, int count, long seed) {
        Random random = new Random(seed);
        TreeSet<Long> points = new TreeSet<>();
        while (points.size() < count && points.size() < instructions - 1) {
            points.add(1 + (long) (random.nextDouble() * (instructions - 1)));
        }
        return points.stream().mapToLong(Long::longValue).toArray();
    }

    /** A session with {@code args} and {@code stdin} whose stdout goes to {@code out}. */
    public static WasiSession.Builder host(ByteArrayOutputStream out, byte[] stdin) {
        return WasiSession.builder().stdout(out::write).stdin(InputSource.of(stdin));
    }

    /**
     * Runs to completion, with a round trip at each (sorted) instruction count: execution and WASI
     * state to bytes, then a new session, store, instance and machine from them.
     */
    public static Outcome run(CompiledModule module, List<String> args, byte[] stdin, long[] stopAt) {
        return run(module, args, stdin, stopAt, Machine.Tier.INTERP, false);
    }

    /**
     * As {@link #run(CompiledModule, List, byte[], long[])}, starting in {@code tier}; with
     * {@code switchTiers} every restored machine runs in the other tier than the one before
     * (interpreter and compiled), so images written by each tier resume in the other.
     */
    public static Outcome run(
            CompiledModule module,
            List<String> args,
            byte[] stdin,
            long[] stopAt,
            Machine.Tier tier,
            boolean switchTiers) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        WasiSession session = host(stdout, stdin).args(args).build();
        Store store = new Store();
        Instance instance = Instance.instantiate(module, new WasiPreview1(session).imports(), store, Limits.DEFAULT);
        Machine machine = new Machine(store, Limits.DEFAULT).tier(tier);
        machine.start(instance.function("_start"));
        int exit = 0;
        int trips = 0;
        try {
            for (long point : stopAt) {
                long budget = point - machine.instructionsRetired();
                Machine.RunResult r = machine.run(budget);
                if (r == Machine.RunResult.COMPLETED) {
                    break;
                }
                byte[] blob = StateBlob.encode(Snapshots.capture(instance, machine));
                session = host(stdout, stdin)
                        .restore(WasiState.parseFrom(session.capture().toByteArray()), 1 << 20);
                Snapshots.Restored restored = Snapshots.restore(
                        module,
                        StateBlob.decode(blob),
                        new WasiPreview1(session).imports(),
                        new Store(),
                        Limits.DEFAULT);
                instance = restored.instance();
                if (switchTiers) {
                    tier = tier == Machine.Tier.INTERP ? Machine.Tier.COMPILED : Machine.Tier.INTERP;
                }
                machine = restored.machine().tier(tier);
                trips++;
            }
            if (machine.status() == Machine.Status.SUSPENDED) {
                machine.run(Long.MAX_VALUE);
            }
        } catch (ProcessExit e) {
            exit = e.status();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        return new Outcome(stdout.toString(StandardCharsets.UTF_8), exit, machine.instructionsRetired(), trips);
    }
}
