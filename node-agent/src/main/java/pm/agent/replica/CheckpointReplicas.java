package pm.agent.replica;

import com.google.protobuf.ByteString;
import io.grpc.Deadline;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import pm.agent.AgentChannels;
import pm.agent.AgentException;
import pm.agent.StatusMapping;
import pm.agent.process.HostedProcess;
import pm.agent.process.ProcessHost;
import pm.agent.store.CheckpointRecord;
import pm.v1.NodeAgentGrpc;
import pm.v1.ReplicaBegin;
import pm.v1.ReplicaFrame;
import pm.v1.ReplicaHeldReply;
import pm.v1.ReplicaImage;
import pm.v1.ReplicaPeer;
import pm.v1.ReplicaQuery;
import pm.v1.ReplicaStored;
import pm.v1.ReplicateReply;
import pm.v1.ReplicateRequest;

/**
 * Checkpoint replication between agents, both ends. The owner pushes a checkpoint's chain (full
 * image, then increments) to a peer, sending only the images the peer does not hold yet, so a
 * replicated incremental checkpoint costs its increment on the wire. The peer keeps replicas in its
 * own checkpoint store under a key of their own ({@link #key}): they share chunks with everything
 * else there, survive its restarts, and never look like a process it runs until it adopts one.
 * Replication runs on the caller's thread, one push of a process at a time (two that crossed, the
 * policy's and a user's, each asked the peer what it held before the other stored more); the
 * receiving side on the gRPC thread of its stream.
 */
public final class CheckpointReplicas {
    private static final int FRAME_BYTES = 1 << 20;
    private static final long PEER_DEADLINE_SECONDS = 300;

    private final ProcessHost host;
    private final AgentChannels channels;
    private final long maxImageBytes;
    /** Pushes of one process take turns: locks striped by process id. */
    private final java.util.concurrent.locks.ReentrantLock[] pushing = new java.util.concurrent.locks.ReentrantLock[64];

    /** A replica's inputs (files, stdin named by hash) are fetched with it (through the host's factory), so recovery finds them. */
    public CheckpointReplicas(ProcessHost host, AgentChannels channels, long maxImageBytes) {
        this.host = host;
        this.channels = channels;
        this.maxImageBytes = maxImageBytes;
        java.util.Arrays.setAll(pushing, i -> new java.util.concurrent.locks.ReentrantLock());
    }

    /** Where a replica of {@code processId} lives in the checkpoint store; no process id contains a NUL. */
    public static String key(String processId) {
        return "\0replica\0" + processId;
    }

    /** Pushes a checkpoint of a process held here to every peer; returns once each holds it durably. */
    public ReplicateReply replicate(ReplicateRequest request) {
        java.util.concurrent.locks.ReentrantLock turn =
                pushing[Math.floorMod(request.getProcessId().hashCode(), pushing.length)];
        turn.lock();
        try {
            return replicateInTurn(request);
        } finally {
            turn.unlock();
        }
    }

    private ReplicateReply replicateInTurn(ReplicateRequest request) {
        HostedProcess h = host.get(request.getProcessId());
        boolean ended = ended(h);
        List<CheckpointRecord> chain = ended ? List.of() : chain(h.id, request.getCheckpointId());
        ReplicateReply.Builder reply = ReplicateReply.newBuilder()
                .setCheckpointId(ended ? "" : chain.get(chain.size() - 1).checkpointId());
        for (ReplicaPeer peer : request.getPeersList()) {
            if (peer.getNode().equals(host.node())) {
                throw new AgentException(
                        AgentException.Reason.BAD_REQUEST, "a replica must live on another node than " + host.node());
            }
            reply.setBytesSent(reply.getBytesSent() + (ended ? pushEnded(h, peer) : push(h, chain, peer)));
            reply.addNodes(peer.getNode());
        }
        return reply.build();
    }

    private static boolean ended(HostedProcess h) {
        return h.hasEnded();
    }

    /** Pushes an ended process's copy (how it ended, its /data, all its kept output) to {@code peer}; returns the bytes sent. */
    private long pushEnded(HostedProcess h, ReplicaPeer peer) {
        pm.v1.EndedReplica copy;
        h.lock.lock();
        try {
            copy = host.ended().copy(h);
        } finally {
            h.lock.unlock();
        }
        Deadline deadline = Deadline.after(PEER_DEADLINE_SECONDS, TimeUnit.SECONDS);
        ReplicaHeldReply held = held(h, peer, deadline);
        CompletableFuture<ReplicaStored> stored = new CompletableFuture<>();
        Sender sender = new Sender(stored);
        NodeAgentGrpc.newStub(channels.get(peer.getAddress()))
                .withDeadline(deadline)
                .storeReplica(sender);
        ByteString files = copy.getFiles().toByteString();
        try {
            sender.send(ReplicaFrame.newBuilder()
                    .setBegin(begin(h, held).setEnded(copy.getRecord()))
                    .build());
            for (int at = 0; at < files.size(); at += FRAME_BYTES) {
                sender.send(ReplicaFrame.newBuilder()
                        .setData(files.substring(at, Math.min(files.size(), at + FRAME_BYTES)))
                        .build());
            }
            h.log.forEachKept(
                    c -> sender.send(ReplicaFrame.newBuilder().setLog(c).build()));
            sender.complete();
        } catch (RuntimeException e) {
            sender.cancel(e);
            throw e;
        }
        await(stored, peer);
        return files.size();
    }

    /** The chain that restores {@code checkpointId} (empty: the latest), full image first. */
    private List<CheckpointRecord> chain(String id, String checkpointId) {
        List<CheckpointRecord> all = host.stores().list(id);
        CheckpointRecord tip = checkpointId.isEmpty()
                ? host.stores()
                        .latest(id)
                        .orElseThrow(() -> new AgentException(
                                AgentException.Reason.WRONG_STATE, "process " + id + " has no checkpoint to replicate"))
                : find(all, checkpointId)
                        .orElseThrow(() -> new AgentException(
                                AgentException.Reason.NOT_FOUND,
                                "process " + id + " has no checkpoint " + checkpointId));
        List<CheckpointRecord> chain = new ArrayList<>();
        for (CheckpointRecord r = tip;
                r != null;
                r = r.isFull() ? null : find(all, r.baseCheckpointId()).orElse(null)) {
            chain.add(0, r);
        }
        if (!chain.get(0).isFull()) {
            throw new AgentException(
                    AgentException.Reason.WRONG_STATE,
                    "checkpoint " + tip.checkpointId() + " of " + id
                            + " builds on a checkpoint this agent no longer holds");
        }
        return chain;
    }

    private static java.util.Optional<CheckpointRecord> find(List<CheckpointRecord> all, String checkpointId) {
        return all.stream().filter(r -> r.checkpointId().equals(checkpointId)).findFirst();
    }

    private long push(HostedProcess h, List<CheckpointRecord> chain, ReplicaPeer peer) {
        Deadline deadline = Deadline.after(PEER_DEADLINE_SECONDS, TimeUnit.SECONDS);
        ReplicaHeldReply held = held(h, peer, deadline);
        Set<String> there = new HashSet<>(held.getCheckpointIdsList());
        int from = 0;
        while (from < chain.size() && there.contains(chain.get(from).checkpointId())) {
            from++;
        }
        long logTo = logOffset(chain.get(chain.size() - 1));
        if (from == chain.size() && held.getLogEnd() >= logTo) {
            return 0; // it holds this checkpoint already
        }
        CompletableFuture<ReplicaStored> stored = new CompletableFuture<>();
        Sender sender = new Sender(stored);
        NodeAgentGrpc.newStub(channels.get(peer.getAddress()))
                .withDeadline(deadline)
                .storeReplica(sender);
        ReplicaBegin.Builder begin = begin(h, held);
        long sent = 0;
        List<InputStream> images =
                host.stores().open(h.id, chain.get(chain.size() - 1).checkpointId());
        try {
            sender.send(ReplicaFrame.newBuilder().setBegin(begin).build());
            byte[] buffer = new byte[FRAME_BYTES];
            for (int i = from; i < chain.size(); i++) {
                CheckpointRecord r = chain.get(i);
                sender.send(ReplicaFrame.newBuilder()
                        .setImage(ReplicaImage.newBuilder()
                                .setCheckpointId(r.checkpointId())
                                .setAttachment(ByteString.copyFrom(r.attachment())))
                        .build());
                InputStream in = images.get(i);
                for (int n; (n = in.readNBytes(buffer, 0, buffer.length)) > 0; ) {
                    sender.send(ReplicaFrame.newBuilder()
                            .setData(ByteString.copyFrom(buffer, 0, n))
                            .build());
                    sent += n;
                }
            }
            // The output up to the checkpoint, from where the replica's stops (all of it if that does not connect).
            long logFrom =
                    held.getLogEnd() >= h.log.start() && held.getLogEnd() <= logTo ? held.getLogEnd() : h.log.start();
            long reached = h.log.readHistory(
                    logFrom,
                    Math.min(logTo, h.log.memoryStart()),
                    c -> sender.send(ReplicaFrame.newBuilder().setLog(c).build()));
            for (pm.v1.LogChunk c : h.log.retainedChunksFrom(reached)) {
                if (c.getOffset() >= logTo) {
                    break;
                }
                long end = Math.min(logTo, c.getOffset() + c.getData().size());
                sender.send(ReplicaFrame.newBuilder()
                        .setLog(c.toBuilder().setData(c.getData().substring(0, (int) (end - c.getOffset()))))
                        .build());
            }
            sender.complete();
        } catch (IOException | RuntimeException e) {
            sender.cancel(e);
            throw e instanceof IOException io
                    ? new java.io.UncheckedIOException("cannot read checkpoint of " + h.id, io)
                    : (RuntimeException) e;
        } finally {
            for (InputStream in : images) {
                try {
                    in.close();
                } catch (IOException ignored) {
                    // read-only streams over chunk files
                }
            }
        }
        ReplicaStored result = await(stored, peer);
        if (!result.getCheckpointId().equals(chain.get(chain.size() - 1).checkpointId())) {
            throw new AgentException(
                    AgentException.Reason.UNAVAILABLE,
                    "node " + peer.getNode() + " stored checkpoint '" + result.getCheckpointId() + "' instead of "
                            + chain.get(chain.size() - 1).checkpointId());
        }
        return sent;
    }

    /** What {@code peer} holds of {@code h}'s process already. */
    private ReplicaHeldReply held(HostedProcess h, ReplicaPeer peer, Deadline deadline) {
        return NodeAgentGrpc.newBlockingStub(channels.get(peer.getAddress()))
                .withDeadline(deadline)
                .replicaHeld(ReplicaQuery.newBuilder()
                        .setProcessId(h.id)
                        .setModuleSha256(ByteString.copyFrom(h.module.sha256()))
                        .build());
    }

    /** The first frame of a stream to a peer that holds {@code held}: the module's bytes only if it lacks them. */
    private ReplicaBegin.Builder begin(HostedProcess h, ReplicaHeldReply held) {
        ReplicaBegin.Builder begin = ReplicaBegin.newBuilder()
                .setProcessId(h.id)
                .setEpoch(h.epoch)
                .setSource(host.node())
                .setModuleSha256(ByteString.copyFrom(h.module.sha256()));
        if (!held.getHasModule()) {
            begin.setModule(ByteString.copyFrom(host.modules().bytesOf(h.module)));
        }
        return begin;
    }

    /** The log offset a checkpoint's process continues at (its attachment's). */
    private static long logOffset(CheckpointRecord r) {
        return ProcessHost.logOffsetOf(r);
    }

    private static ReplicaStored await(CompletableFuture<ReplicaStored> stored, ReplicaPeer peer) {
        try {
            return stored.get(PEER_DEADLINE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException(
                    AgentException.Reason.UNAVAILABLE, "interrupted while replicating to " + peer.getNode());
        } catch (ExecutionException e) {
            throw e.getCause() instanceof io.grpc.StatusRuntimeException s
                    ? new AgentException(
                            AgentException.Reason.UNAVAILABLE,
                            "node " + peer.getNode() + " refused the replica: "
                                    + s.getStatus().getCode() + " "
                                    + s.getStatus().getDescription())
                    : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new AgentException(
                    AgentException.Reason.UNAVAILABLE, "node " + peer.getNode() + " did not confirm the replica");
        }
    }

    /** The client side of one StoreReplica stream: sends only while the peer is ready (flow control). */
    private static final class Sender implements ClientResponseObserver<ReplicaFrame, ReplicaStored> {
        private final CompletableFuture<ReplicaStored> result;
        private volatile ClientCallStreamObserver<ReplicaFrame> requests;

        Sender(CompletableFuture<ReplicaStored> result) {
            this.result = result;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<ReplicaFrame> requestStream) {
            this.requests = requestStream;
        }

        void send(ReplicaFrame frame) {
            while (!requests.isReady()) {
                if (result.isDone()) {
                    return; // refused: the answer says why
                }
                LockSupport.parkNanos(200_000);
            }
            requests.onNext(frame);
        }

        void complete() {
            requests.onCompleted();
        }

        void cancel(Exception cause) {
            requests.cancel("replication failed on the owner", cause);
        }

        @Override
        public void onNext(ReplicaStored value) {
            result.complete(value);
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
            result.completeExceptionally(new IllegalStateException("the peer answered nothing"));
        }
    }

    /** What this agent holds of {@code query}'s process as a replica. */
    public ReplicaHeldReply held(ReplicaQuery query) {
        ReplicaHeldReply.Builder b = ReplicaHeldReply.newBuilder()
                .setHasModule(query.getModuleSha256().size() == 32
                        && host.modules().has(query.getModuleSha256().toByteArray()));
        for (CheckpointRecord r : host.stores().list(key(query.getProcessId()))) {
            b.addCheckpointIds(r.checkpointId());
        }
        pm.agent.store.LogSegments log = host.logs().replica(query.getProcessId());
        b.setLogEnd(log.end());
        log.close();
        return b.build();
    }

    /**
     * Drops the replicas the ownership records no longer name on this node (a kill or a newer
     * durable checkpoint whose drop message never arrived), once they are older than {@code minAgeMillis}:
     * a replica is stored before the record names it, so a young one may be on its way to counting.
     */
    public int sweep(
            java.util.function.Function<String, java.util.Optional<pm.v1.OwnershipRecord>> records, long minAgeMillis) {
        String prefix = key("");
        int dropped = 0;
        for (String k : host.stores().processes()) {
            if (!k.startsWith(prefix)) {
                continue;
            }
            String id = k.substring(prefix.length());
            boolean named = records.apply(id)
                    .map(r -> r.getCheckpointNodesList().contains(host.node())
                            && !r.getOwner().equals(host.node()))
                    .orElse(false);
            long newest = host.stores().list(k).stream()
                    .mapToLong(CheckpointRecord::createdMillis)
                    .max()
                    .orElse(0);
            if (!named && System.currentTimeMillis() - newest >= minAgeMillis) {
                drop(id);
                dropped++;
            }
        }
        for (pm.v1.EndedReplica copy : host.ended().replicas().all()) {
            String id = copy.getRecord().getProcessId();
            boolean named = records.apply(id)
                    .map(r -> r.getEndedCopyNodesList().contains(host.node())
                            && !r.getOwner().equals(host.node()))
                    .orElse(false);
            if (!named && System.currentTimeMillis() - copy.getStoredMillis() >= minAgeMillis) {
                drop(id);
                dropped++;
            }
        }
        return dropped;
    }

    /** Forgets the replica of {@code processId}, if any. */
    public ReplicaStored drop(String processId) {
        host.stores().delete(key(processId));
        host.ended().replicas().drop(processId);
        host.logs().replica(processId).delete();
        return ReplicaStored.newBuilder().setProcessId(processId).build();
    }

    /** The receiving side of a StoreReplica stream: each image is put once whole, the stream answered once all are. */
    public StreamObserver<ReplicaFrame> receive(StreamObserver<ReplicaStored> out) {
        return new StreamObserver<>() {
            private ReplicaBegin begin;
            private ReplicaImage image;
            private pm.agent.store.LogSegments log;
            private final List<ByteString> parts = new ArrayList<>();
            private long bytes;
            private boolean failed;

            @Override
            public void onNext(ReplicaFrame frame) {
                if (failed) {
                    return;
                }
                try {
                    switch (frame.getFrameCase()) {
                        case BEGIN -> start(frame.getBegin());
                        case IMAGE -> {
                            requireBegun();
                            putImage();
                            image = frame.getImage();
                        }
                        case DATA -> {
                            if (begin != null && begin.hasEnded()) {
                                addPart(frame.getData());
                                return;
                            }
                            if (image == null) {
                                throw new AgentException(
                                        AgentException.Reason.BAD_REQUEST, "replica data before its image header");
                            }
                            addPart(frame.getData());
                        }
                        case LOG -> {
                            requireBegun();
                            putImage();
                            pm.v1.LogChunk c = frame.getLog();
                            if (log == null) {
                                log = host.logs().replica(begin.getProcessId());
                            }
                            byte[] data = c.getData().toByteArray();
                            log.append(c.getStream(), c.getOffset(), data, 0, data.length);
                        }
                        default -> throw new AgentException(AgentException.Reason.BAD_REQUEST, "empty replica frame");
                    }
                } catch (RuntimeException e) {
                    fail(e);
                }
            }

            private void addPart(ByteString data) {
                bytes += data.size();
                if (bytes > maxImageBytes) {
                    throw new pm.runtime.LimitExceededException(
                            "replica image larger than " + maxImageBytes + " bytes");
                }
                parts.add(data);
            }

            private void start(ReplicaBegin b) {
                if (begin != null) {
                    throw new AgentException(AgentException.Reason.BAD_REQUEST, "a replica stream begins once");
                }
                if (b.getProcessId().isEmpty() || b.getModuleSha256().size() != 32) {
                    throw new AgentException(
                            AgentException.Reason.BAD_REQUEST, "a replica names its process and module");
                }
                if (host.find(b.getProcessId()).isPresent()) {
                    throw new AgentException(
                            AgentException.Reason.WRONG_STATE,
                            "process " + b.getProcessId() + " runs on this node; a replica belongs on another");
                }
                if (!b.getModule().isEmpty()) {
                    host.modules().store(b.getModule().toByteArray());
                } else if (!host.modules().has(b.getModuleSha256().toByteArray())) {
                    throw new AgentException(
                            AgentException.Reason.WRONG_STATE, "no module for the replica of " + b.getProcessId());
                }
                begin = b;
                if (b.hasEnded()) {
                    host.logs().replica(b.getProcessId()).delete(); // all its output follows
                }
            }

            private void requireBegun() {
                if (begin == null) {
                    throw new AgentException(
                            AgentException.Reason.BAD_REQUEST, "a replica stream starts with its begin frame");
                }
            }

            private void putImage() {
                if (image == null) {
                    return;
                }
                String k = key(begin.getProcessId());
                if (host.stores().list(k).stream()
                        .anyMatch(c -> c.checkpointId().equals(image.getCheckpointId()))) {
                    parts.clear(); // sent twice (two pushes crossed): held already
                    bytes = 0;
                    image = null;
                    return;
                }
                List<InputStream> streams = new ArrayList<>();
                for (ByteString p : parts) {
                    streams.add(p.newInput());
                }
                CheckpointRecord r;
                try {
                    r = host.stores()
                            .put(
                                    k,
                                    new SequenceInputStream(Collections.enumeration(streams)),
                                    image.getAttachment().toByteArray());
                } catch (pm.agent.store.CheckpointExistsException storedMeanwhile) { // by a push from another owner
                    parts.clear();
                    bytes = 0;
                    image = null;
                    return;
                }
                if (!r.checkpointId().equals(image.getCheckpointId())) {
                    throw new pm.runtime.StateFormatException(
                            "replica image " + image.getCheckpointId() + " holds checkpoint " + r.checkpointId());
                }
                parts.clear();
                bytes = 0;
                image = null;
            }

            private void fail(RuntimeException e) {
                failed = true;
                parts.clear();
                closeLog();
                out.onError(StatusMapping.toStatus(e));
            }

            private void closeLog() {
                if (log != null) {
                    log.close();
                    log = null;
                }
            }

            @Override
            public void onError(Throwable t) {
                parts.clear();
                closeLog();
            }

            /** The inputs the replica's spec and files name, held here too: the owner, who holds them, may be the node that is lost. */
            private void fetchInputs(CheckpointRecord tip) {
                try {
                    pm.v1.ProcessRecord record = pm.v1.ProcessRecord.parseFrom(tip.attachment());
                    host.factory().requireInputs(record.getSpec(), record.getFileInputsList());
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new pm.runtime.StateFormatException(
                            "replica of " + begin.getProcessId() + " carries no readable record", e);
                }
            }

            /** The copy of a process that ended on its owner: kept once its inputs are here too, replacing any checkpoint replica. */
            private void keepEnded() {
                closeLog();
                pm.v1.EndedReplica.Builder copy =
                        pm.v1.EndedReplica.newBuilder().setRecord(begin.getEnded());
                try {
                    if (!parts.isEmpty()) {
                        copy.setFiles(pm.v1.FileSystemState.parseFrom(ByteString.copyFrom(parts)));
                    }
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new pm.runtime.StateFormatException(
                            "the files of ended process " + begin.getProcessId() + " are corrupt", e);
                }
                parts.clear();
                pm.v1.ProcessRecord record = begin.getEnded();
                if (!record.getProcessId().equals(begin.getProcessId())) {
                    throw new AgentException(
                            AgentException.Reason.BAD_REQUEST,
                            "the ended record names process " + record.getProcessId() + ", not "
                                    + begin.getProcessId());
                }
                host.factory().requireInputs(record.getSpec(), record.getFileInputsList());
                host.ended().replicas().keep(copy.build());
                out.onNext(ReplicaStored.newBuilder()
                        .setProcessId(begin.getProcessId())
                        .build());
                out.onCompleted();
            }

            @Override
            public void onCompleted() {
                if (failed) {
                    return;
                }
                try {
                    requireBegun();
                    if (begin.hasEnded()) {
                        keepEnded();
                        return;
                    }
                    putImage();
                    closeLog();
                    String k = key(begin.getProcessId());
                    host.stores().retainLatestChain(k);
                    host.stores().latest(k).ifPresent(this::fetchInputs);
                    out.onNext(ReplicaStored.newBuilder()
                            .setProcessId(begin.getProcessId())
                            .setCheckpointId(host.stores()
                                    .latest(k)
                                    .map(CheckpointRecord::checkpointId)
                                    .orElse(""))
                            .build());
                    out.onCompleted();
                } catch (RuntimeException e) {
                    fail(e);
                }
            }
        };
    }
}
