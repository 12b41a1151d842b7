package pm.common.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.net.URI;
import java.util.concurrent.TimeUnit;

/**
 * The {@link OpenTelemetry} one daemon records its traces with: off ({@link OpenTelemetry#noop()}, the
 * default: nothing is recorded or sent), or an SDK that batches spans to an OTLP/HTTP collector (protobuf, through the JDK's HTTP client),
 * propagating W3C trace context. Nothing is registered globally: the daemon hands {@link #telemetry()}
 * to what it builds. The daemon that made it closes it at shutdown, which flushes what is still queued.
 */
public final class DaemonTracing implements AutoCloseable {
    static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
    static final AttributeKey<String> SERVICE_INSTANCE = AttributeKey.stringKey("service.instance.id");

    private final OpenTelemetry telemetry;
    private final OpenTelemetrySdk sdk;

    private DaemonTracing(OpenTelemetry telemetry, OpenTelemetrySdk sdk) {
        this.telemetry = telemetry;
        this.sdk = sdk;
    }

    /** Records nothing. */
    public static DaemonTracing off() {
        return new DaemonTracing(OpenTelemetry.noop(), null);
    }

    /** Sends spans to the OTLP/HTTP collector at {@code endpoint} ({@code http://collector:4318}; spans go to its {@code /v1/traces}). */
    public static DaemonTracing otlp(URI endpoint, String service, String node) {
        String base = endpoint.toString().replaceAll("/+$", "");
        return withProcessor(
                BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder()
                                .setEndpoint(base + "/v1/traces")
                                .build())
                        .build(),
                service,
                node);
    }

    /** Hands every span to {@code processor}: tests pass an in-memory exporter's. */
    public static DaemonTracing withProcessor(SpanProcessor processor, String service, String node) {
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .setResource(resource(service, node))
                        .addSpanProcessor(processor)
                        .build())
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
        return new DaemonTracing(sdk, sdk);
    }

    /** What every span of this daemon is about: {@code service.name} ({@code pm-agent}, {@code pm-coordinator}) and the node. */
    static Resource resource(String service, String node) {
        return Resource.getDefault()
                .merge(Resource.create(
                        Attributes.of(SERVICE_NAME, service, SERVICE_INSTANCE, node, SpanNames.NODE, node)));
    }

    public OpenTelemetry telemetry() {
        return telemetry;
    }

    /** Whether spans are recorded and sent anywhere. */
    public boolean isOn() {
        return sdk != null;
    }

    /** Sends what is queued and stops; waits at most 10 s for the collector. */
    @Override
    public void close() {
        if (sdk != null) {
            sdk.shutdown().join(10, TimeUnit.SECONDS);
        }
    }
}
