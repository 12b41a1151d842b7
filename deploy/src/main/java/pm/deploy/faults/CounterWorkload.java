package pm.deploy.faults;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import pm.client.SpawnOptions;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.process.WasiProcess;
import pm.runtime.wasi.FileSystem;
import pm.runtime.wasi.WasiSession;
import pm.v1.CheckpointPolicy;
import pm.v1.ClusterSpawnRequest;
import pm.v1.ProcessSpec;

/**
 * The counter guest as the suite runs it: {@code counter TICKS SPIN MEM HOT /data/release} with /data
 * mounted, so its last lines sum up its ticks file, its whole memory and its last hash. It holds
 * after its last tick until the scenario writes /data/{@value #RELEASE}, so however fast it runs, it is
 * still alive when a scenario's fault fires. The reference is the
 * same spec run to the end in this JVM on the runtime alone; a run that lost or repeated a step
 * (in memory or in the file) ends differently. Immutable; the reference is computed once.
 */
final class CounterWorkload {
    private final byte[] module;
    private final List<String> args;
    /** The file the counter waits for after its last tick, under /data. */
    static final String RELEASE = "release";

    private String reference;

    CounterWorkload(int ticks, int spin, int memBytes, int hotBytes) throws IOException {
        try (InputStream in = CounterWorkload.class.getResourceAsStream("/counter.wasm")) {
            if (in == null) {
                throw new IOException("counter.wasm is not on the class path (node-agent/src/test/guest/wasm)");
            }
            this.module = in.readAllBytes();
        }
        this.args = List.of(
                Integer.toString(ticks),
                Integer.toString(spin),
                Integer.toString(memBytes),
                Integer.toString(hotBytes),
                "/data/" + RELEASE);
    }

    /** A spawn of process {@code id} on {@code node} (empty: placement picks), checkpointed every {@code checkpointMillis} if positive. */
    ClusterSpawnRequest spawn(String id, String node, long checkpointMillis) {
        ClusterSpawnRequest r = SpawnOptions.builder(module, "counter")
                .withProcessId(id)
                .withArgs(args)
                .withFile("ticks", new byte[0])
                .onNode(node, false)
                .build()
                .toRequest();
        if (checkpointMillis <= 0) {
            return r;
        }
        return r.toBuilder()
                .setSpec(r.getSpec().toBuilder()
                        .setCheckpointPolicy(CheckpointPolicy.newBuilder().setIntervalMillis(checkpointMillis)))
                .build();
    }

    /** What an uninterrupted run prints (stdout). */
    synchronized String reference() {
        if (reference == null) {
            ProcessSpec spec = spawn("reference", "", 0).getSpec();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            FileSystem data = new FileSystem(() -> System.currentTimeMillis() * 1_000_000L, 64L << 20);
            data.createFile(data.root(), "ticks");
            data.createFile(data.root(), RELEASE);
            WasiSession session = WasiSession.builder()
                    .args(spec.getArgsList())
                    .preopen("/data", data)
                    .stdout(out::write)
                    .stderr((b, off, len) -> {})
                    .build();
            WasiProcess p = WasiProcess.start(CompiledModule.compile(module), session, Limits.DEFAULT, 64L << 20);
            WasiProcess.State end = p.run(Long.MAX_VALUE);
            if (end != WasiProcess.State.EXITED || p.exitStatus() != 0) {
                throw new IllegalStateException("the reference run of the counter failed: " + end + " " + p.failure());
            }
            reference = out.toString(StandardCharsets.UTF_8);
        }
        return reference;
    }

    /**
     * The lines that decide a run: from the last tick (its hash is over every step) through the
     * ticks file's line count and the memory sum to {@code done}. Empty if there is no tick line.
     */
    static String verdictLines(String output) {
        int at = output.lastIndexOf("\ntick ");
        return at < 0 ? "" : output.substring(at + 1);
    }
}
