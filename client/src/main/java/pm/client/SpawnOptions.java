package pm.client;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import pm.v1.BlobRef;
import pm.v1.CheckpointPolicy;
import pm.v1.ClusterSpawnRequest;
import pm.v1.FileEntry;
import pm.v1.Placement;
import pm.v1.ProcessLimits;
import pm.v1.ProcessSpec;

/**
 * What to spawn and where, in the terms a caller thinks in; {@link #toRequest()} makes the wire request.
 * {@code args} are the arguments after the program name: the guest's argv is {@code programName} followed
 * by them, as a shell would pass. {@code files} are the initial contents of the guest's {@code /data},
 * keyed by path relative to it. A {@code memoryLimitMib} or {@code fsLimitMib} of 0 leaves the node's default;
 * {@code instructionsPerSecond} is a CPU quota (0: none); {@code node}
 * empty lets placement choose. {@code checkpoints} is when the cluster checkpoints the process and
 * replicates the checkpoint to another node (the default: never on its own). With {@code outputBackpressure}
 * the guest waits in its writes while its unread output fills half the node's log retention, instead of the
 * oldest output being dropped.
 */
public record SpawnOptions(
        String processId,
        ByteString module,
        String programName,
        List<String> args,
        Map<String, String> env,
        Map<String, Input> files,
        Input stdin,
        Map<String, String> labels,
        int memoryLimitMib,
        long fsLimitMib,
        long instructionsPerSecond,
        String node,
        Map<String, String> nodeLabels,
        boolean pinned,
        CheckpointPolicy checkpoints,
        boolean outputBackpressure) {

    /** Inputs up to this size travel inside the spawn request; larger ones are uploaded first (PutBlob). */
    public static final long INLINE_INPUT_BYTES = 64 << 10;

    /** One wasm page is 64 KiB, so a MiB is 16 of them. */
    private static final int PAGES_PER_MIB = 16;

    public SpawnOptions {
        if (module.isEmpty()) {
            throw new IllegalArgumentException("a spawn needs the module's bytes");
        }
        if (memoryLimitMib < 0 || memoryLimitMib > 4096) {
            throw new IllegalArgumentException("a memory limit is between 1 and 4096 MiB, not " + memoryLimitMib);
        }
        if (fsLimitMib < 0) {
            throw new IllegalArgumentException("a file-system limit is a positive number of MiB, not " + fsLimitMib);
        }
        if (instructionsPerSecond < 0) {
            throw new IllegalArgumentException(
                    "a CPU limit is a positive number of instructions a second, not " + instructionsPerSecond);
        }
        if (pinned && node.isEmpty()) {
            throw new IllegalArgumentException("pinning needs a node to pin to");
        }
        if (checkpoints.getIntervalMillis() < 0) {
            throw new IllegalArgumentException("a checkpoint interval is positive");
        }
        args = List.copyOf(args);
        env = ordered(env);
        files = ordered(files);
        labels = ordered(labels);
        nodeLabels = ordered(nodeLabels);
        for (String path : files.keySet()) {
            if (path.isEmpty()
                    || path.startsWith("/")
                    || List.of(path.split("/")).contains("..")) {
                throw new IllegalArgumentException("a file path is relative to /data and stays inside it: " + path);
            }
        }
    }

    /** An unmodifiable copy that keeps the caller's order, so requests (and files in /data) come out as given. */
    private static <V> Map<String, V> ordered(Map<String, V> map) {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }

    private static ByteString bytes(Input input) {
        if (input instanceof Input.Bytes b) {
            return b.bytes();
        }
        try (var in = input.open()) {
            return ByteString.readFrom(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read an input: " + e.getMessage(), e);
        }
    }

    public static Builder builder(Path module) {
        try {
            String name = module.getFileName().toString();
            return new Builder(
                    ByteString.copyFrom(Files.readAllBytes(module)),
                    name.endsWith(".wasm") ? name.substring(0, name.length() - 5) : name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read module " + module + ": " + e.getMessage(), e);
        }
    }

    public static Builder builder(byte[] module, String programName) {
        return new Builder(ByteString.copyFrom(module), programName);
    }

    /** Whether {@code input} is sent inside the spawn request rather than uploaded first. */
    public static boolean inline(Input input) {
        return input.size() <= INLINE_INPUT_BYTES;
    }

    /** The wire request with every input inline (each must be small: see {@link #inline}). */
    public ClusterSpawnRequest toRequest() {
        return toRequest(Map.of());
    }

    /** The wire request; an input found in {@code uploaded} (by identity) is named by its stored hash, the rest go inline. */
    public ClusterSpawnRequest toRequest(Map<Input, BlobRef> uploaded) {
        ProcessSpec.Builder spec = ProcessSpec.newBuilder()
                .setModule(module)
                .addArgs(programName)
                .addAllArgs(args)
                .putAllEnv(env)
                .putAllLabels(labels);
        BlobRef stdinRef = uploaded.get(stdin);
        if (stdinRef != null) {
            spec.setStdinSha256(stdinRef.getSha256()).setStdinSize(stdinRef.getSize());
        } else {
            spec.setStdin(bytes(stdin));
        }
        if (!checkpoints.equals(CheckpointPolicy.getDefaultInstance())) {
            spec.setCheckpointPolicy(checkpoints);
        }
        spec.setOutputBackpressure(outputBackpressure);
        files.forEach((path, input) -> {
            BlobRef ref = uploaded.get(input);
            spec.addFiles(
                    ref != null
                            ? FileEntry.newBuilder()
                                    .setPath(path)
                                    .setSha256(ref.getSha256())
                                    .setSize(ref.getSize())
                            : FileEntry.newBuilder().setPath(path).setContents(bytes(input)));
        });
        if (memoryLimitMib > 0 || fsLimitMib > 0 || instructionsPerSecond > 0) {
            spec.setLimits(ProcessLimits.newBuilder()
                    .setMemoryPages(memoryLimitMib * PAGES_PER_MIB)
                    .setMaxFsBytes(fsLimitMib << 20)
                    .setFuelPerSecond(instructionsPerSecond));
        }
        return ClusterSpawnRequest.newBuilder()
                .setProcessId(processId)
                .setSpec(spec)
                .setPlacement(Placement.newBuilder()
                        .setNode(node)
                        .putAllNodeLabels(nodeLabels)
                        .setPinned(pinned))
                .build();
    }

    /** Collects the optional settings; the module and program name are given up front. */
    public static final class Builder {
        private final ByteString module;
        private final String programName;
        private String processId = "";
        private final List<String> args = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private final Map<String, Input> files = new LinkedHashMap<>();
        private Input stdin = Input.of(new byte[0]);
        private final Map<String, String> labels = new LinkedHashMap<>();
        private int memoryLimitMib;
        private long fsLimitMib;
        private long instructionsPerSecond;
        private String node = "";
        private final Map<String, String> nodeLabels = new LinkedHashMap<>();
        private boolean pinned;
        private final CheckpointPolicy.Builder checkpoints = CheckpointPolicy.newBuilder();
        private boolean outputBackpressure;

        private Builder(ByteString module, String programName) {
            this.module = module;
            this.programName = programName;
        }

        public Builder withProcessId(String id) {
            this.processId = id;
            return this;
        }

        public Builder withArgs(String... more) {
            return withArgs(List.of(more));
        }

        public Builder withArgs(List<String> more) {
            args.addAll(more);
            return this;
        }

        public Builder withEnv(String key, String value) {
            env.put(key, value);
            return this;
        }

        public Builder withFile(String path, byte[] contents) {
            return withFile(path, Input.of(contents));
        }

        /** A file of /data from {@code input}; a local file is streamed when the spawn is made. */
        public Builder withFile(String path, Input input) {
            files.put(path, input);
            return this;
        }

        public Builder withStdin(byte[] contents) {
            return withStdin(Input.of(contents));
        }

        public Builder withStdin(Input input) {
            stdin = input;
            return this;
        }

        public Builder withLabel(String key, String value) {
            labels.put(key, value);
            return this;
        }

        public Builder withMemoryLimitMib(int mib) {
            memoryLimitMib = mib;
            return this;
        }

        /** How much its /data may hold, inputs included (0: the node's default, its agent's --fs-bytes). */
        public Builder withFileSystemLimitMib(long mib) {
            fsLimitMib = mib;
            return this;
        }

        /**
         * Its CPU quota: at most {@code n} WebAssembly instructions a second on average (0: no quota).
         * Counted in instructions, so it is the same work in either execution tier and on any node.
         */
        public Builder withInstructionsPerSecondLimit(long n) {
            instructionsPerSecond = n;
            return this;
        }

        /** Runs it on {@code name}; with {@code pin}, neither the rebalancer nor a drain moves it. */
        public Builder onNode(String name, boolean pin) {
            node = name;
            pinned = pin;
            return this;
        }

        public Builder withNodeLabel(String key, String value) {
            nodeLabels.put(key, value);
            return this;
        }

        /** A checkpoint every {@code interval}, replicated to another node: a lost node costs at most that much work. */
        public Builder checkpointEvery(java.time.Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("a checkpoint interval is positive, not " + interval);
            }
            checkpoints.setIntervalMillis(interval.toMillis());
            return this;
        }

        /** A replicated checkpoint on the new node right after each migration. */
        public Builder checkpointOnMigrate() {
            checkpoints.setOnMigrate(true);
            return this;
        }

        /** The checkpoint a suspend takes is replicated too, so the suspended process survives its node. */
        public Builder checkpointOnSuspend() {
            checkpoints.setOnSuspend(true);
            return this;
        }

        /** Its output is never dropped: the guest waits in its writes until a reader ({@code logs}) takes what it wrote. */
        public Builder withOutputBackpressure() {
            outputBackpressure = true;
            return this;
        }

        public SpawnOptions build() {
            return new SpawnOptions(
                    processId,
                    module,
                    programName,
                    args,
                    env,
                    files,
                    stdin,
                    labels,
                    memoryLimitMib,
                    fsLimitMib,
                    instructionsPerSecond,
                    node,
                    nodeLabels,
                    pinned,
                    checkpoints.build(),
                    outputBackpressure);
        }
    }
}
