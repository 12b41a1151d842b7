package pm.agent.input;

import io.grpc.stub.StreamObserver;
import java.io.IOException;
import pm.agent.AgentException;
import pm.agent.StatusMapping;
import pm.agent.store.BlobStore;
import pm.v1.BlobChunk;
import pm.v1.BlobRef;

/**
 * One PutBlob call: the header opens an upload in the input store, chunks are appended as they arrive
 * (gRPC's flow control bounds what is in flight), the end checks size and hash. Any failure drops what
 * was written. gRPC delivers one message at a time, so no lock is needed.
 */
public final class BlobUploadObserver implements StreamObserver<BlobChunk> {
    private final BlobStore store;
    private final StreamObserver<BlobRef> out;
    private BlobStore.Upload upload;
    private BlobRef header;
    private boolean failed;

    public BlobUploadObserver(BlobStore store, StreamObserver<BlobRef> out) {
        this.store = store;
        this.out = out;
    }

    @Override
    public void onNext(BlobChunk chunk) {
        if (failed) {
            return;
        }
        try {
            if (upload == null) {
                if (!chunk.hasHeader()) {
                    throw new AgentException(
                            AgentException.Reason.BAD_REQUEST, "an upload starts with its header (size, SHA-256)");
                }
                header = chunk.getHeader();
                upload = store.begin(header.getSize(), header.getSha256().toByteArray());
            }
            upload.write(chunk.getData().asReadOnlyByteBuffer());
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    private void fail(Exception e) {
        failed = true;
        drop();
        out.onError(StatusMapping.toStatus(e));
    }

    private void drop() {
        if (upload != null) {
            try {
                upload.close();
            } catch (IOException e) {
                // a temporary file left behind is swept at the next start
            }
        }
    }

    @Override
    public void onError(Throwable t) {
        drop();
    }

    @Override
    public void onCompleted() {
        if (failed) {
            return;
        }
        if (upload == null) {
            fail(new AgentException(AgentException.Reason.BAD_REQUEST, "an empty upload: no header"));
            return;
        }
        try {
            byte[] sha = upload.finish();
            out.onNext(BlobRef.newBuilder()
                    .setSha256(com.google.protobuf.ByteString.copyFrom(sha))
                    .setSize(header.getSize())
                    .build());
            out.onCompleted();
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }
}
