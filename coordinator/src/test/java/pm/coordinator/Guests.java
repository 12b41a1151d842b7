package pm.coordinator;

import java.io.IOException;
import java.io.UncheckedIOException;
import pm.agent.Agents;
import pm.v1.ProcessSpec;

/** Test support: the node agent's counter guest (from its test-jar) and its reference output. */
public final class Guests {
    private Guests() {}

    public static byte[] counterWasm() {
        try {
            return Agents.counterWasm();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The counter guest: {@code ticks} lines, {@code spin} hash steps between them over {@code mem} bytes, with /data files. */
    public static ProcessSpec counter(int ticks, int spin, int mem) {
        try {
            return Agents.counter(ticks, spin, mem);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The counter that holds after its last tick until /data/release exists, so however fast the tier runs
     * it, it is still alive when a test freezes or loses it; {@link #released} is what its reference run needs.
     */
    public static ProcessSpec heldCounter(int ticks, int spin, int mem) {
        return counter(ticks, spin, mem).toBuilder()
                .addArgs(Integer.toString(mem))
                .addArgs("/data/release")
                .build();
    }

    /** {@code spec} with its release file present from the start: the held counter's uninterrupted run. */
    public static ProcessSpec released(ProcessSpec spec) {
        return spec.toBuilder()
                .addFiles(pm.v1.FileEntry.newBuilder()
                        .setPath("release")
                        .setContents(com.google.protobuf.ByteString.EMPTY))
                .build();
    }

    /** The sleeper guest holding {@code mem} bytes, with a memory limit just above what it needs. */
    public static ProcessSpec sleeper(int mem) {
        try {
            return Agents.sleeper(mem).toBuilder()
                    .setLimits(pm.v1.ProcessLimits.newBuilder().setMemoryPages(mem / 65536 + 16))
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What {@code spec} prints when run to the end on the runtime alone. */
    public static String reference(ProcessSpec spec) {
        return Agents.reference(spec);
    }
}
