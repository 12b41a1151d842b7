package pm.common.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import pm.common.net.GrpcTransport;

/**
 * W3C trace context over a real gRPC server and channel built by {@link GrpcTransport}: a call made in
 * a span continues its trace on the server's thread; anything else carries nothing and records nothing.
 */
class TraceContextPropagationTest {
    private static final Metadata.Key<String> TRACEPARENT =
            Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);

    private final InMemorySpanExporter exported = InMemorySpanExporter.create();
    private final DaemonTracing tracing =
            DaemonTracing.withProcessor(SimpleSpanProcessor.create(exported), "pm-test", "n1");
    /** The traceparent header as the server received it (null: none), and the span current in its handler. */
    private final AtomicReference<String> headerSeen = new AtomicReference<>();

    private final AtomicReference<SpanContext> currentInHandler = new AtomicReference<>();
    private Server server;
    private ManagedChannel channel;

    /** Health checks answered by a handler that notes which span is current on its thread; "missing" is NOT_FOUND. */
    private final class Recording extends HealthGrpc.HealthImplBase {
        @Override
        public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> out) {
            currentInHandler.set(Span.current().getSpanContext());
            if (request.getService().equals("missing")) {
                out.onError(
                        Status.NOT_FOUND.withDescription("no service missing").asRuntimeException());
                return;
            }
            out.onNext(HealthCheckResponse.newBuilder()
                    .setStatus(HealthCheckResponse.ServingStatus.SERVING)
                    .build());
            out.onCompleted();
        }
    }

    private HealthGrpc.HealthBlockingStub serve(GrpcTransport transport) throws Exception {
        ServerInterceptor headers = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(
                    ServerCall<Q, R> call, Metadata h, ServerCallHandler<Q, R> next) {
                headerSeen.set(h.get(TRACEPARENT));
                return next.startCall(call, h);
            }
        };
        server = transport
                .server(new InetSocketAddress("127.0.0.1", 0), null)
                .addService(new Recording())
                .intercept(headers)
                .build()
                .start();
        channel = transport.channel("127.0.0.1:" + server.getPort()).build();
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        tracing.close();
    }

    @Test
    void aCallMadeInASpanContinuesItsTraceInTheServersHandler() throws Exception {
        HealthGrpc.HealthBlockingStub stub = serve(GrpcTransport.insecure().traced(tracing.telemetry()));

        try (PhaseTrace operation =
                PhaseTrace.start(tracing.telemetry().getTracer("test"), "operation", Attributes.empty())) {
            stub.check(HealthCheckRequest.getDefaultInstance());
        }

        List<SpanData> spans = exported.getFinishedSpanItems();
        SpanData root = spans.stream()
                .filter(s -> s.getName().equals("operation"))
                .findFirst()
                .orElseThrow();
        SpanData client = spans.stream()
                .filter(s -> s.getKind() == SpanKind.CLIENT)
                .findFirst()
                .orElseThrow();
        SpanData served = spans.stream()
                .filter(s -> s.getKind() == SpanKind.SERVER)
                .findFirst()
                .orElseThrow();
        assertThat(client.getName()).isEqualTo("grpc.health.v1.Health/Check");
        assertThat(client.getParentSpanId()).isEqualTo(root.getSpanId());
        assertThat(served.getParentSpanId()).isEqualTo(client.getSpanId());
        assertThat(spans).extracting(SpanData::getTraceId).containsOnly(root.getTraceId());
        assertThat(headerSeen.get()).contains(root.getTraceId()).contains(client.getSpanId());
        assertThat(currentInHandler.get().getSpanId())
                .as("the server's span is current in the handler")
                .isEqualTo(served.getSpanId());
        assertThat(served.getResource().getAttribute(DaemonTracing.SERVICE_NAME))
                .isEqualTo("pm-test");
        assertThat(served.getResource().getAttribute(SpanNames.NODE)).isEqualTo("n1");
    }

    @Test
    void aFailedCallMarksBothEndsAsErrors() throws Exception {
        HealthGrpc.HealthBlockingStub stub = serve(GrpcTransport.insecure().traced(tracing.telemetry()));

        try (PhaseTrace operation =
                PhaseTrace.start(tracing.telemetry().getTracer("test"), "operation", Attributes.empty())) {
            assertThatThrownBy(() -> stub.check(HealthCheckRequest.newBuilder()
                            .setService("missing")
                            .build()))
                    .isInstanceOf(StatusRuntimeException.class);
        }

        assertThat(exported.getFinishedSpanItems())
                .filteredOn(s -> s.getKind() != SpanKind.INTERNAL)
                .hasSize(2)
                .allSatisfy(s -> assertThat(s.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR));
    }

    @Test
    void aCallMadeOutsideAnySpanCarriesNothingAndRecordsNothing() throws Exception {
        HealthGrpc.HealthBlockingStub stub = serve(GrpcTransport.insecure().traced(tracing.telemetry()));

        stub.check(HealthCheckRequest.getDefaultInstance());

        assertThat(headerSeen.get()).isNull();
        assertThat(currentInHandler.get().isValid()).isFalse();
        assertThat(exported.getFinishedSpanItems()).isEmpty();
    }

    @Test
    void theNoopDefaultPassesNothingOnEvenInsideASpan() throws Exception {
        HealthGrpc.HealthBlockingStub stub = serve(GrpcTransport.insecure().traced(OpenTelemetry.noop()));

        try (PhaseTrace operation =
                PhaseTrace.start(tracing.telemetry().getTracer("test"), "operation", Attributes.empty())) {
            stub.check(HealthCheckRequest.getDefaultInstance());
        }

        assertThat(headerSeen.get()).isNull();
        assertThat(exported.getFinishedSpanItems())
                .extracting(SpanData::getName)
                .containsExactly("operation");
    }
}
