package pm.coordinator;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Reads the {@code pm-request-id} header the SDK puts on every attempt of one logical call into the
 * call's gRPC context, where {@link ClusterService} finds it to answer a resend with the first
 * outcome. Stateless; runs on gRPC's threads.
 */
final class RequestIds implements ServerInterceptor {
    static final Metadata.Key<String> HEADER = Metadata.Key.of("pm-request-id", Metadata.ASCII_STRING_MARSHALLER);
    private static final Context.Key<String> CURRENT = Context.key("pm-request-id");
    /** Longer ids are not the SDK's: ignored rather than kept. */
    private static final int MAX_LENGTH = 128;

    /** The request id of the call on this thread; empty if the client gave none. */
    static String current() {
        String id = CURRENT.get();
        return id == null ? "" : id;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String id = headers.get(HEADER);
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return next.startCall(call, headers);
        }
        return Contexts.interceptCall(Context.current().withValue(CURRENT, id), call, headers, next);
    }
}
