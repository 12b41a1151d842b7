package pm.agent;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import pm.agent.process.ProcessFactory;
import pm.agent.process.ProcessLog;
import pm.runtime.interp.CompiledModule;
import pm.runtime.process.WasiProcess;
import pm.v1.FileEntry;
import pm.v1.LogChunk;
import pm.v1.LogsRequest;
import pm.v1.NodeAgentGrpc;
import pm.v1.ProcessSpec;

/** Test support: agents on loopback with their own data directories, stubs to them, the counter guest. */
public final class Agents implements AutoCloseable {

    private final Path root;
    private final List<NodeAgentServer> servers = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();

    Agents(Path root) {
        this.root = root;
    }

    NodeAgentServer start(String name) throws IOException {
        return start(AgentConfig.defaults(name, root.resolve(name)));
    }

    NodeAgentServer start(AgentConfig config) throws IOException {
        NodeAgentServer s = new NodeAgentServer(config).start();
        servers.add(s);
        return s;
    }

    NodeAgentGrpc.NodeAgentBlockingStub stub(NodeAgentServer s) {
        ManagedChannel c = NettyChannelBuilder.forTarget(s.address())
                .usePlaintext()
                .maxInboundMessageSize(64 << 20)
                .build();
        channels.add(c);
        return NodeAgentGrpc.newBlockingStub(c)
                .withDeadlineAfter(10, TimeUnit.MINUTES); // counted from here: a slow machine must not fail a long test
    }

    NodeAgentGrpc.NodeAgentStub asyncStub(NodeAgentServer s) {
        ManagedChannel c =
                NettyChannelBuilder.forTarget(s.address()).usePlaintext().build();
        channels.add(c);
        return NodeAgentGrpc.newStub(c);
    }

    @Override
    public void close() {
        channels.forEach(ManagedChannel::shutdownNow);
        servers.forEach(NodeAgentServer::close);
    }

    public static byte[] counterWasm() throws IOException {
        return guest("counter");
    }

    public static byte[] sleeperWasm() throws IOException {
        return guest("sleeper");
    }

    /** The bytes of guest program {@code name} (node-agent/src/test/guest/wasm/NAME.wasm, on the test class path). */
    public static byte[] guest(String name) throws IOException {
        try (java.io.InputStream in = Agents.class.getResourceAsStream("/" + name + ".wasm")) {
            if (in == null) {
                throw new IOException(name + ".wasm is not on the test class path (node-agent/src/test/guest/wasm)");
            }
            return in.readAllBytes();
        }
    }

    /** The sleeper guest: touches {@code mem} bytes of heap, then sleeps an hour at a time; almost no CPU. */
    public static ProcessSpec sleeper(int mem) throws IOException {
        return ProcessSpec.newBuilder()
                .setModule(ByteString.copyFrom(sleeperWasm()))
                .addArgs("sleeper")
                .addArgs(Integer.toString(mem))
                .build();
    }

    /** The counter guest: {@code ticks} lines, {@code spin} hash steps between them over {@code mem} bytes, with /data files. */
    public static ProcessSpec counter(int ticks, int spin, int mem, int hot) throws IOException {
        return counter(ticks, spin, mem).toBuilder()
                .addArgs(Integer.toString(hot))
                .build();
    }

    public static ProcessSpec counter(int ticks, int spin, int mem) throws IOException {
        return ProcessSpec.newBuilder()
                .setModule(ByteString.copyFrom(counterWasm()))
                .addArgs("counter")
                .addArgs(Integer.toString(ticks))
                .addArgs(Integer.toString(spin))
                .addArgs(Integer.toString(mem))
                .addFiles(FileEntry.newBuilder()
                        .setPath("input")
                        .setContents(ByteString.copyFromUtf8("the quick brown fox\n".repeat(50))))
                .addFiles(FileEntry.newBuilder().setPath("ticks").setContents(ByteString.EMPTY))
                .build();
    }

    /** What {@code spec} prints when run to the end in this JVM on the runtime alone: the reference output. */
    public static String reference(ProcessSpec spec) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProcessLog log = new ProcessLog(0, Integer.MAX_VALUE);
        ProcessFactory factory = new ProcessFactory(64L << 20);
        log.read(
                0,
                new ProcessLog.Follower() {
                    @Override
                    public boolean accept(LogChunk chunk) {
                        if (chunk.getStream() == LogChunk.Stream.STREAM_STDOUT) {
                            out.writeBytes(chunk.getData().toByteArray());
                        }
                        return true;
                    }

                    @Override
                    public void closed() {}
                },
                true);
        WasiProcess p = WasiProcess.start(
                CompiledModule.compile(spec.getModule().toByteArray()),
                factory.fresh(spec, log),
                factory.limits(spec),
                factory.fsBytes(spec));
        if (p.run(Long.MAX_VALUE) != WasiProcess.State.EXITED || p.exitStatus() != 0) {
            throw new AssertionError("reference run failed: " + p.state() + " " + p.failure());
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * Waits until the process has run at least {@code instructions} more instructions on {@code agent}
     * (a condition, not a duration: the machine may be slow).
     */
    public static void awaitProgress(NodeAgentGrpc.NodeAgentBlockingStub agent, String id, long instructions)
            throws InterruptedException {
        pm.v1.ProcessRef ref = pm.v1.ProcessRef.newBuilder().setProcessId(id).build();
        long target = agent.get(ref).getInstructionsRetired() + instructions;
        await("process " + id + " made progress")
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> agent.get(ref).getInstructionsRetired() >= target);
    }

    /**
     * The stdout of a process from {@code offset} to the end of what {@code agent} holds, following
     * until it closes, checking that no byte is missing; with a negative offset, from wherever the
     * agent's log starts.
     */
    public static String follow(NodeAgentGrpc.NodeAgentBlockingStub agent, String id, long offset, long[] endOffset) {
        StringBuilder out = new StringBuilder();
        Iterator<LogChunk> it = agent.logs(LogsRequest.newBuilder()
                .setProcessId(id)
                .setFollow(true)
                .setFromOffset(Math.max(0, offset))
                .build());
        long end = offset;
        while (it.hasNext()) {
            LogChunk c = it.next();
            if (end < 0) {
                end = c.getOffset();
            }
            if (c.getOffset() != end) {
                throw new AssertionError("log gap: expected offset " + end + ", got " + c.getOffset());
            }
            end += c.getData().size();
            if (c.getStream() == LogChunk.Stream.STREAM_STDOUT) {
                out.append(c.getData().toStringUtf8());
            }
        }
        if (endOffset != null) {
            endOffset[0] = end;
        }
        return out.toString();
    }

    /** The exported image of process {@code id} (frozen or suspended) on {@code agent}, as the file pmctl would write. */
    /** Uploads {@code bytes} as the SDK does (PutBlob, the header with size and SHA-256 in the first chunk); the stored ref. */
    public static pm.v1.BlobRef putBlob(NodeAgentGrpc.NodeAgentStub agent, byte[] bytes) throws Exception {
        pm.v1.BlobRef header = pm.v1.BlobRef.newBuilder()
                .setSha256(ByteString.copyFrom(
                        java.security.MessageDigest.getInstance("SHA-256").digest(bytes)))
                .setSize(bytes.length)
                .build();
        java.util.concurrent.CompletableFuture<pm.v1.BlobRef> stored = new java.util.concurrent.CompletableFuture<>();
        io.grpc.stub.StreamObserver<pm.v1.BlobChunk> up = agent.putBlob(new io.grpc.stub.StreamObserver<>() {
            @Override
            public void onNext(pm.v1.BlobRef value) {
                stored.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                stored.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
        });
        up.onNext(pm.v1.BlobChunk.newBuilder()
                .setHeader(header)
                .setData(ByteString.copyFrom(bytes))
                .build());
        up.onCompleted();
        return stored.get(1, TimeUnit.MINUTES);
    }

    static byte[] export(NodeAgentGrpc.NodeAgentBlockingStub agent, String id) {
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        agent.exportImage(pm.v1.ExportRequest.newBuilder().setProcessId(id).build())
                .forEachRemaining(c -> image.writeBytes(c.getData().toByteArray()));
        return image.toByteArray();
    }

    /** Imports {@code image} into {@code agent} as process {@code id} of {@code spec}, in 1 MiB chunks as pmctl sends a file. */
    java.util.concurrent.CompletableFuture<pm.v1.ProcessInfo> importImage(
            NodeAgentServer agent, String id, ProcessSpec spec, byte[] image) {
        java.util.concurrent.CompletableFuture<pm.v1.ProcessInfo> done = new java.util.concurrent.CompletableFuture<>();
        io.grpc.stub.StreamObserver<pm.v1.ImageChunk> in = asyncStub(agent)
                .importImage(new io.grpc.stub.StreamObserver<>() {
                    @Override
                    public void onNext(pm.v1.ProcessInfo value) {
                        done.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                });
        for (int at = 0; at < image.length; at += 1 << 20) {
            pm.v1.ImageChunk.Builder chunk = pm.v1.ImageChunk.newBuilder()
                    .setData(ByteString.copyFrom(image, at, Math.min(1 << 20, image.length - at)));
            if (at == 0) {
                chunk.setHeader(pm.v1.ImportHeader.newBuilder().setProcessId(id).setSpec(spec));
            }
            in.onNext(chunk.build());
        }
        in.onCompleted();
        return done;
    }
}
