package pm.client.internal;

import com.google.protobuf.ByteString;
import io.grpc.ClientCall;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import pm.client.ClusterClientException;
import pm.client.TransferProgress;
import pm.v1.BlobChunk;
import pm.v1.BlobRef;

/**
 * Sends one input as a {@code PutBlob} client stream: the header (its size) first, then the bytes in
 * chunks read only while the transport is ready for more, so a large input never sits in memory whole.
 * Threads: gRPC's executor runs the ready handler, which alone reads {@code in}; callbacks are serialised.
 */
public final class BlobUpload implements ClientResponseObserver<BlobChunk, BlobRef> {
    private static final int CHUNK_BYTES = 1 << 20;

    private final InputStream in;
    private final long size;
    private final TransferProgress progress;
    private final CompletableFuture<BlobRef> result = new CompletableFuture<>();
    private ClientCallStreamObserver<BlobChunk> requests;
    private boolean headerSent;
    private boolean finished;
    private long sent;

    private BlobUpload(InputStream in, long size, TransferProgress progress) {
        this.in = in;
        this.size = size;
        this.progress = progress;
    }

    /** Starts the upload of {@code size} bytes from {@code in} on {@code call}; the future has what was stored. Closes {@code in}. */
    public static CompletableFuture<BlobRef> start(ClientCall<BlobChunk, BlobRef> call, InputStream in, long size,
            TransferProgress progress) {
        BlobUpload upload = new BlobUpload(in, size, progress);
        ClientCalls.asyncClientStreamingCall(call, upload);
        return upload.result.whenComplete((r, e) -> upload.closeQuietly());
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<BlobChunk> requestStream) {
        this.requests = requestStream;
        requestStream.setOnReadyHandler(this::pump);
    }

    private void pump() {
        try {
            while (!finished && requests.isReady()) {
                if (!headerSent) {
                    requests.onNext(BlobChunk.newBuilder().setHeader(BlobRef.newBuilder().setSize(size)).build());
                    headerSent = true;
                    continue;
                }
                byte[] buffer = in.readNBytes((int) Math.min(CHUNK_BYTES, Math.max(0, size - sent)));
                if (buffer.length == 0) {
                    finished = true;
                    requests.onCompleted();
                    return;
                }
                requests.onNext(BlobChunk.newBuilder().setData(ByteString.copyFrom(buffer)).build());
                sent += buffer.length;
                progress.transferred(sent);
            }
        } catch (IOException e) {
            finished = true;
            requests.cancel("cannot read the input", e);
            result.completeExceptionally(new UncheckedIOException("cannot read the input: " + e.getMessage(), e));
        }
    }

    private void closeQuietly() {
        try {
            in.close();
        } catch (IOException e) {
            // read to the end or abandoned: nothing to save
        }
    }

    @Override
    public void onNext(BlobRef value) {
        result.complete(value);
    }

    @Override
    public void onError(Throwable t) {
        result.completeExceptionally(ClusterClientException.from(Status.fromThrowable(t)));
    }

    @Override
    public void onCompleted() {
        // onNext completed the future
    }
}
