package pm.agent.input;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.agent.AgentException;
import pm.agent.store.BlobStore;
import pm.v1.BlobChunk;
import pm.v1.BlobRef;
import pm.v1.NodeAgentGrpc;

/**
 * This agent's inputs: those uploaded to it, and those a spec names that it fetches from its peers
 * (the other nodes of the cluster) on first use, so a process placed, migrated or recovered here finds
 * its files and stdin. Fetched inputs are kept: the node then holds a copy too. Thread-safe; a fetch
 * runs on the caller's thread.
 */
public final class InputBlobs implements InputResolver {
    private static final Logger LOG = LoggerFactory.getLogger(InputBlobs.class);
    /** A fetch may take this long plus a second per 16 MiB: slow links move large inputs slowly, not never. */
    private static final long FETCH_BASE_SECONDS = 60;

    private final BlobStore store;
    private final Supplier<List<String>> peers;
    private final Function<String, ManagedChannel> channels;
    private final java.util.Map<String, Object> fetching = new java.util.concurrent.ConcurrentHashMap<>();

    /** {@code peers}: the addresses of the other agents, asked in order when an input is not held here. */
    public InputBlobs(BlobStore store, Supplier<List<String>> peers, Function<String, ManagedChannel> channels) {
        this.store = store;
        this.peers = peers;
        this.channels = channels;
    }

    public BlobStore store() {
        return store;
    }

    @Override
    public BlobStore.Blob require(ByteString sha256, long size) {
        if (sha256.size() != 32) {
            throw new AgentException(
                    AgentException.Reason.BAD_REQUEST,
                    "an input is named by a 32-byte SHA-256, not " + sha256.size() + " bytes");
        }
        String hex = HexFormat.of().formatHex(sha256.toByteArray());
        Optional<BlobStore.Blob> held = store.find(sha256.toByteArray()).or(() -> fetch(sha256, size, hex));
        BlobStore.Blob blob = held.orElseThrow(() -> new AgentException(
                AgentException.Reason.NOT_FOUND,
                "input " + hex + " (" + size + " bytes) is held by no node; upload it again"));
        if (size != ANY_SIZE && blob.size() != size) {
            throw new AgentException(
                    AgentException.Reason.BAD_REQUEST,
                    "input " + hex + " has " + blob.size() + " bytes, not the " + size + " the spec says");
        }
        return blob;
    }

    private Optional<BlobStore.Blob> fetch(ByteString sha256, long size, String hex) {
        synchronized (fetching.computeIfAbsent(hex, h -> new Object())) { // one fetch of a blob at a time; others go on
            try {
                Optional<BlobStore.Blob> meanwhile = store.find(sha256.toByteArray());
                return meanwhile.isPresent() ? meanwhile : fetchFromPeers(sha256, size, hex);
            } finally {
                fetching.remove(hex);
            }
        }
    }

    private Optional<BlobStore.Blob> fetchFromPeers(ByteString sha256, long size, String hex) {
        BlobRef ref = BlobRef.newBuilder().setSha256(sha256).setSize(size).build();
        for (String peer : peers.get()) {
            try {
                if (fetchFrom(peer, ref)) {
                    return store.find(sha256.toByteArray());
                }
            } catch (StatusRuntimeException | IOException e) {
                LOG.info("cannot fetch input " + hex + " from " + peer + ": " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** The holder's first chunk says the size (the caller may not know it); the hash is checked at the end. */
    private boolean fetchFrom(String peer, BlobRef ref) throws IOException {
        long seconds = FETCH_BASE_SECONDS + Math.max(0, ref.getSize()) / (16 << 20);
        Iterator<BlobChunk> chunks = NodeAgentGrpc.newBlockingStub(channels.apply(peer))
                .withDeadlineAfter(seconds, TimeUnit.SECONDS)
                .getBlob(ref);
        BlobStore.Upload upload = null;
        try {
            while (chunks.hasNext()) {
                BlobChunk chunk = chunks.next();
                if (upload == null) {
                    upload = store.begin(
                            chunk.getHeader().getSize(), ref.getSha256().toByteArray());
                }
                upload.write(chunk.getData().asReadOnlyByteBuffer());
            }
            if (upload == null) {
                return false;
            }
            upload.finish();
            return true;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == io.grpc.Status.Code.NOT_FOUND) {
                return false;
            }
            throw e;
        } finally {
            if (upload != null) {
                upload.close();
            }
        }
    }

    /** Streams input {@code ref} in chunks of {@code chunkBytes} to {@code send}, the first with its size; NOT_FOUND if not held here. */
    public void send(BlobRef ref, int chunkBytes, ChunkSink send) throws IOException {
        BlobStore.Blob blob = store.find(ref.getSha256().toByteArray())
                .orElseThrow(() -> new AgentException(
                        AgentException.Reason.NOT_FOUND,
                        "input " + HexFormat.of().formatHex(ref.getSha256().toByteArray()) + " is not held here"));
        byte[] buffer = new byte[chunkBytes];
        BlobRef header = BlobRef.newBuilder()
                .setSha256(ref.getSha256())
                .setSize(blob.size())
                .build();
        long at = 0;
        do {
            int n = Math.max(0, blob.read(at, buffer, 0, buffer.length));
            if (n == 0 && at < blob.size()) {
                throw new UncheckedIOException(new IOException("input " + blob.hex() + " ended early at " + at));
            }
            BlobChunk.Builder chunk = BlobChunk.newBuilder().setData(ByteString.copyFrom(buffer, 0, n));
            send.accept((at == 0 ? chunk.setHeader(header) : chunk).build());
            at += n;
        } while (at < blob.size());
    }

    /** Where {@link #send} puts each chunk (the first carries the header: hash and size); may block (flow control). */
    @FunctionalInterface
    public interface ChunkSink {
        void accept(BlobChunk chunk) throws IOException;
    }
}
