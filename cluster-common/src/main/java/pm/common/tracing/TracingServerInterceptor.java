package pm.common.tracing;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Picks up the caller's trace from W3C {@code traceparent} in the headers: a SERVER span named by the
 * method, current (with its context) on whichever gRPC thread runs the call's handler and each of its
 * callbacks, so spans and calls the service makes there are its children. A call that brings no trace
 * records nothing. The span ends when the call closes or is cancelled. Stateless and thread-safe.
 */
public final class TracingServerInterceptor implements ServerInterceptor {
    /** The instrumentation scope of pm's gRPC spans. */
    static final String INSTRUMENTATION = "pm.grpc";

    private final Tracer tracer;
    private final TextMapPropagator propagator;

    public TracingServerInterceptor(OpenTelemetry telemetry) {
        this.tracer = telemetry.getTracer(INSTRUMENTATION);
        this.propagator = telemetry.getPropagators().getTextMapPropagator();
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
            ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        Context parent = propagator.extract(Context.root(), headers, MetadataCarrier.INSTANCE);
        if (!Span.fromContext(parent).getSpanContext().isValid()) {
            return next.startCall(call, headers);
        }
        String method = call.getMethodDescriptor().getFullMethodName();
        Span span = tracer.spanBuilder(method)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute("rpc.system", "grpc")
                .setAttribute("rpc.method", method)
                .startSpan();
        Context context = parent.with(span);
        AtomicBoolean ended = new AtomicBoolean();
        ServerCall<ReqT, RespT> closing = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                TracingClientInterceptor.end(span, ended, status);
                super.close(status, trailers);
            }
        };
        ServerCall.Listener<ReqT> listener;
        try (Scope ignored = context.makeCurrent()) {
            listener = next.startCall(closing, headers); // a streaming handler runs here
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(ReqT message) {
                try (Scope ignored = context.makeCurrent()) {
                    super.onMessage(message);
                }
            }

            @Override
            public void onHalfClose() {
                try (Scope ignored = context.makeCurrent()) {
                    super.onHalfClose(); // a unary handler runs here
                }
            }

            @Override
            public void onCancel() {
                try (Scope ignored = context.makeCurrent()) {
                    super.onCancel();
                } finally {
                    TracingClientInterceptor.end(span, ended, Status.CANCELLED);
                }
            }

            @Override
            public void onComplete() {
                try (Scope ignored = context.makeCurrent()) {
                    super.onComplete();
                }
            }

            @Override
            public void onReady() {
                try (Scope ignored = context.makeCurrent()) {
                    super.onReady();
                }
            }
        };
    }
}
