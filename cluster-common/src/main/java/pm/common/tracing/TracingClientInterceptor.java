package pm.common.tracing;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Continues the caller's trace over a gRPC call: a CLIENT span named by the method, child of the span
 * current on the calling thread, whose context travels as W3C {@code traceparent} in the headers. A call
 * made outside any span (the leader's polls, heartbeats) carries nothing and records nothing, so that
 * background traffic does not flood the traces. The span ends when the call closes, with ERROR for a
 * status other than OK. Stateless and thread-safe; each call's span belongs to that call.
 */
public final class TracingClientInterceptor implements ClientInterceptor {
    private final Tracer tracer;
    private final TextMapPropagator propagator;

    public TracingClientInterceptor(OpenTelemetry telemetry) {
        this.tracer = telemetry.getTracer(TracingServerInterceptor.INSTRUMENTATION);
        this.propagator = telemetry.getPropagators().getTextMapPropagator();
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
            MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
        Context parent = Context.current();
        if (!Span.fromContext(parent).getSpanContext().isValid()) {
            return next.newCall(method, options);
        }
        Span span = tracer.spanBuilder(method.getFullMethodName())
                .setParent(parent)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute("rpc.system", "grpc")
                .setAttribute("rpc.method", method.getFullMethodName())
                .startSpan();
        Context context = parent.with(span);
        AtomicBoolean ended = new AtomicBoolean();
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<RespT> listener, Metadata headers) {
                propagator.inject(context, headers, MetadataCarrier.INSTANCE);
                try {
                    super.start(
                            new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                                @Override
                                public void onClose(Status status, Metadata trailers) {
                                    end(span, ended, status);
                                    super.onClose(status, trailers);
                                }
                            },
                            headers);
                } catch (RuntimeException e) {
                    end(span, ended, Status.fromThrowable(e));
                    throw e;
                }
            }
        };
    }

    static void end(Span span, AtomicBoolean ended, Status status) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        span.setAttribute("rpc.grpc.status_code", status.getCode().value());
        if (!status.isOk()) {
            span.setStatus(
                    StatusCode.ERROR,
                    status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription()));
            if (status.getCause() != null) {
                span.recordException(status.getCause());
            }
        }
        span.end();
    }
}
