package pm.common.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An operation's phases as consecutive children of its span, and a timed operation that lasts its caller's measurement. */
class PhaseTraceTest {
    private final InMemorySpanExporter exported = InMemorySpanExporter.create();
    private final DaemonTracing tracing =
            DaemonTracing.withProcessor(SimpleSpanProcessor.create(exported), "pm-test", "n1");
    private final Tracer tracer = tracing.telemetry().getTracer("test");

    @AfterEach
    void stop() {
        tracing.close();
    }

    private SpanData named(String name) {
        return exported.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals(name))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void phasesAreConsecutiveChildrenCurrentWhileOpen() {
        try (PhaseTrace op = PhaseTrace.start(tracer, "op", Attributes.of(SpanNames.PROCESS_ID, "p1"))) {
            Span first = op.phase("first");
            assertThat(Span.current()).isEqualTo(first);
            op.phase("second");
        }

        SpanData op = named("op");
        SpanData first = named("first");
        SpanData second = named("second");
        assertThat(List.of(first, second))
                .allSatisfy(p -> assertThat(p.getParentSpanId()).isEqualTo(op.getSpanId()));
        assertThat(first.getEndEpochNanos()).isLessThanOrEqualTo(second.getStartEpochNanos());
        assertThat(op.getAttributes().get(SpanNames.PROCESS_ID)).isEqualTo("p1");
        assertThat(Span.current().getSpanContext().isValid())
                .as("closed: nothing current any more")
                .isFalse();
    }

    @Test
    void aTimedOperationLastsExactlyFromItsStartReadingToItsEndReading() {
        long t0 = System.nanoTime();
        PhaseTrace op = PhaseTrace.timed(tracer, "op", Attributes.empty(), t0);
        op.phase("only");
        op.endPhase();
        long end = System.nanoTime();
        op.close(end);

        SpanData span = named("op");
        SpanData only = named("only");
        assertThat(span.getEndEpochNanos() - span.getStartEpochNanos()).isEqualTo(end - t0);
        assertThat(only.getStartEpochNanos()).isGreaterThanOrEqualTo(span.getStartEpochNanos());
        assertThat(only.getEndEpochNanos()).isLessThanOrEqualTo(span.getEndEpochNanos());
    }

    @Test
    void aFailureMarksTheOpenPhaseAndTheOperation() {
        try (PhaseTrace op = PhaseTrace.start(tracer, "op", Attributes.empty())) {
            op.phase("ok");
            op.phase("broken");
            op.failed(new IllegalStateException("disk gone"));
        }

        assertThat(named("ok").getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        for (SpanData s : List.of(named("broken"), named("op"))) {
            assertThat(s.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(s.getStatus().getDescription()).isEqualTo("disk gone");
            assertThat(s.getEvents()).extracting(e -> e.getName()).containsExactly("exception");
        }
    }
}
