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
import pm.v1.ClusterProcess;
import pm.v1.ImageChunk;
import pm.v1.ImportHeader;

/**
 * Sends an image file as an {@code Import} client stream: the header alone first, then the file in
 * chunks, read only while the transport is ready for more, so a large image never sits in memory whole.
 * Threads: gRPC's executor runs the ready handler, which alone reads {@code in}; callbacks are serialised.
 */
public final class ImageUpload implements ClientResponseObserver<ImageChunk, ClusterProcess> {
    private static final int CHUNK_BYTES = 1 << 20;

    private final InputStream in;
    private final ImportHeader header;
    private final TransferProgress progress;
    private final CompletableFuture<ClusterProcess> result = new CompletableFuture<>();
    private ClientCallStreamObserver<ImageChunk> requests;
    private boolean headerSent;
    private boolean finished;
    private long sent;

    private ImageUpload(InputStream in, ImportHeader header, TransferProgress progress) {
        this.in = in;
        this.header = header;
        this.progress = progress;
    }

    /** Starts the upload on {@code call}; the future has the imported process. */
    public static CompletableFuture<ClusterProcess> start(ClientCall<ImageChunk, ClusterProcess> call, InputStream in,
            ImportHeader header, TransferProgress progress) {
        ImageUpload upload = new ImageUpload(in, header, progress);
        ClientCalls.asyncClientStreamingCall(call, upload);
        return upload.result;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ImageChunk> requestStream) {
        this.requests = requestStream;
        requestStream.setOnReadyHandler(this::pump);
    }

    private void pump() {
        try {
            while (!finished && requests.isReady()) {
                if (!headerSent) {
                    requests.onNext(ImageChunk.newBuilder().setHeader(header).build());
                    headerSent = true;
                    continue;
                }
                byte[] buffer = in.readNBytes(CHUNK_BYTES);
                if (buffer.length == 0) {
                    finished = true;
                    requests.onCompleted();
                    return;
                }
                requests.onNext(ImageChunk.newBuilder().setData(ByteString.copyFrom(buffer)).build());
                sent += buffer.length;
                progress.transferred(sent);
            }
        } catch (IOException e) {
            finished = true;
            requests.cancel("cannot read the image", e);
            result.completeExceptionally(new UncheckedIOException("cannot read the image: " + e.getMessage(), e));
        }
    }

    @Override
    public void onNext(ClusterProcess value) {
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
