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
import java.util.function.Function;
import pm.client.TransferProgress;

/**
 * Sends a stream of bytes as a client-streaming call (an image's {@code Import}, an input's
 * {@code PutBlob}): a header message first, then the bytes in 1 MiB messages, read only while the
 * transport is ready for more, so a large file never sits in memory whole. The stream stays open.
 * Threads: gRPC's executor runs the ready handler, which alone reads {@code in}; callbacks are serialised.
 */
public final class ChunkedUpload<Q, R> implements ClientResponseObserver<Q, R> {
    private static final int CHUNK_BYTES = 1 << 20;

    private final InputStream in;
    private final Q header;
    private final Function<ByteString, Q> chunk;
    private final String what;
    private final TransferProgress progress;
    private final CompletableFuture<R> result = new CompletableFuture<>();
    private ClientCallStreamObserver<Q> requests;
    private boolean headerSent;
    private boolean finished;
    private long sent;

    private ChunkedUpload(
            InputStream in, Q header, Function<ByteString, Q> chunk, String what, TransferProgress progress) {
        this.in = in;
        this.header = header;
        this.chunk = chunk;
        this.what = what;
        this.progress = progress;
    }

    /**
     * Starts sending {@code header}, then {@code in} as messages made by {@code chunk}, on {@code call};
     * the future has the server's answer. {@code what} names the bytes in errors ("the image").
     */
    public static <Q, R> CompletableFuture<R> start(
            ClientCall<Q, R> call,
            InputStream in,
            Q header,
            Function<ByteString, Q> chunk,
            String what,
            TransferProgress progress) {
        ChunkedUpload<Q, R> upload = new ChunkedUpload<>(in, header, chunk, what, progress);
        ClientCalls.asyncClientStreamingCall(call, upload);
        return upload.result;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Q> requestStream) {
        this.requests = requestStream;
        requestStream.setOnReadyHandler(this::pump);
    }

    private void pump() {
        try {
            while (!finished && requests.isReady()) {
                if (!headerSent) {
                    requests.onNext(header);
                    headerSent = true;
                    continue;
                }
                byte[] buffer = in.readNBytes(CHUNK_BYTES);
                if (buffer.length == 0) {
                    finished = true;
                    requests.onCompleted();
                    return;
                }
                requests.onNext(chunk.apply(ByteString.copyFrom(buffer)));
                sent += buffer.length;
                progress.transferred(sent);
            }
        } catch (IOException e) {
            finished = true;
            requests.cancel("cannot read " + what, e);
            result.completeExceptionally(new UncheckedIOException("cannot read " + what + ": " + e.getMessage(), e));
        }
    }

    @Override
    public void onNext(R value) {
        result.complete(value);
    }

    @Override
    public void onError(Throwable t) {
        result.completeExceptionally(StatusErrors.toException(Status.fromThrowable(t)));
    }

    @Override
    public void onCompleted() {
        // onNext completed the future
    }
}
