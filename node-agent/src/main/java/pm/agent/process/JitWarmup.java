package pm.agent.process;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.runtime.interp.CompiledModule;
import pm.runtime.process.WasiProcess;
import pm.v1.ExecutionState;
import pm.v1.ProcessSpec;
import pm.v1.WasiState;

/**
 * Exercises the capture and restore paths (execution state, session, memory, images, their
 * protobuf forms) on a tiny built-in module right after the agent starts, so that the JIT has
 * compiled them before the first migration needs them inside its downtime: in a fresh JVM the first
 * restore of even a 160 KiB process took ~250 ms, a warm one a few. Runs once on its own
 * low-priority daemon thread; a failure only costs the warm-up.
 */
public final class JitWarmup {
    private static final Logger LOG = LoggerFactory.getLogger(JitWarmup.class);

    /**
     * (module (memory 1) (func (export "_start") (local i32)
     *   (loop (local.set 0 (i32.add (local.get 0) (i32.const 1))) (i32.store (i32.const 0) (local.get 0))
     *         (br_if 0 (i32.lt_u (local.get 0) (i32.const 200000))))) (export "memory" (memory 0)))
     */
    private static final byte[] COUNTER = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
                0x05, 0x03,
        0x01, 0x00, 0x01, 0x07, 0x13, 0x02, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00, 0x06, 0x6d, 0x65,
                0x6d, 0x6f,
        0x72, 0x79, 0x02, 0x00, 0x0a, 0x20, 0x01, 0x1e, 0x01, 0x01, 0x7f, 0x03, 0x40, 0x20, 0x00, 0x41, 0x01, 0x6a,
                0x21, 0x00,
        0x41, 0x00, 0x20, 0x00, 0x36, 0x02, 0x00, 0x20, 0x00, 0x41, (byte) 0xc0, (byte) 0x9a, 0x0c, 0x49, 0x0d, 0x00,
                0x0b, 0x0b
    };
    /** What the module leaves in its first memory word. */
    static final int FINAL_COUNT = 200_000;

    private final ProcessFactory factory;

    public JitWarmup(ProcessFactory factory) {
        this.factory = factory;
    }

    /** Starts the warm-up in the background. */
    public void startInBackground(int rounds) {
        Thread t = new Thread(
                () -> {
                    try {
                        run(rounds);
                    } catch (RuntimeException | IOException e) {
                        LOG.debug("JIT warm-up stopped", e);
                    }
                },
                "pm-agent-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    /** Runs {@code rounds} capture/restore cycles; returns how many ended with the right memory. */
    int run(int rounds) throws IOException {
        CompiledModule module = CompiledModule.compile(COUNTER);
        ProcessSpec spec = ProcessSpec.newBuilder().addArgs("warmup").build();
        int right = 0;
        for (int i = 0; i < rounds; i++) {
            ProcessLog log = new ProcessLog(0, 1 << 10);
            WasiProcess p =
                    WasiProcess.start(module, factory.fresh(spec, log), factory.limits(spec), factory.fsBytes(spec));
            p.run(40_000 + i);
            // The migration path: state as protobuf bytes, memory as an array.
            ExecutionState execution =
                    ExecutionState.parseFrom(p.captureExecution().toByteString());
            WasiState session = WasiState.parseFrom(p.captureSession().toByteString());
            WasiProcess moved = WasiProcess.restore(
                    module,
                    execution,
                    session,
                    p.memory().exactBytes().clone(),
                    factory.endpoints(spec, log),
                    factory.limits(spec),
                    factory.fsBytes(spec));
            moved.run(40_000);
            // The checkpoint path: a full image and back.
            ByteArrayOutputStream image = new ByteArrayOutputStream();
            moved.writeImage(image, false);
            WasiProcess restored = WasiProcess.restore(
                    module,
                    new ByteArrayInputStream(image.toByteArray()),
                    factory.endpoints(spec, log),
                    factory.limits(spec),
                    factory.fsBytes(spec));
            restored.run(Long.MAX_VALUE);
            if (ByteBuffer.wrap(restored.memory().bytes(), 0, 4)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .getInt()
                    == FINAL_COUNT) {
                right++;
            }
        }
        return right;
    }
}
