package pm.common.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.api.common.Attributes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link DaemonTracing#otlp}: spans reach an OTLP/gRPC collector (here a stand-in that keeps each
 * export request's bytes) by the time the daemon's tracing is closed, with the daemon's resource.
 */
class OtlpExportTest {
    /** The collector's method; requests are read as raw protobuf bytes, answered with an empty (valid) response. */
    private static final MethodDescriptor<byte[], byte[]> EXPORT = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("opentelemetry.proto.collector.trace.v1.TraceService/Export")
            .setRequestMarshaller(new Bytes())
            .setResponseMarshaller(new Bytes())
            .build();

    private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private final List<byte[]> exports = new CopyOnWriteArrayList<>();
    private final Server collector;

    OtlpExportTest() throws IOException {
        collector = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerServiceDefinition.builder("opentelemetry.proto.collector.trace.v1.TraceService")
                        .addMethod(EXPORT, ServerCalls.asyncUnaryCall((request, out) -> {
                            exports.add(request);
                            out.onNext(new byte[0]);
                            out.onCompleted();
                        }))
                        .build())
                .build()
                .start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        collector.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void spansReachTheCollectorWithTheDaemonsNameByTheTimeTracingCloses() {
        DaemonTracing tracing = DaemonTracing.otlp(URI.create("http://127.0.0.1:" + collector.getPort()), "pm-agent", "host7");
        try (PhaseTrace op = PhaseTrace.start(tracing.telemetry().getTracer("test"), SpanNames.MIGRATION,
                Attributes.of(SpanNames.PROCESS_ID, "p1"))) {
            op.phase(SpanNames.FREEZE);
        }

        tracing.close(); // flushes the batch

        String sent = exports.stream().map(b -> new String(b, StandardCharsets.ISO_8859_1)).reduce("", String::concat);
        assertThat(sent).contains(SpanNames.MIGRATION, SpanNames.FREEZE, "pm.process.id", "p1", "pm-agent", "host7");
    }
}
