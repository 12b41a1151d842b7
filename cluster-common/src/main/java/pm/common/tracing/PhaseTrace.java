package pm.common.tracing;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.time.Instant;

/**
 * One operation as a span with its phases as children, one after another: {@link #phase} ends the
 * phase before and starts the next. The operation's span, and the phase open at any moment, are
 * current on the thread that started it, so gRPC calls made meanwhile are their children.
 *
 * <p>Threads: confined to the thread that started it (OpenTelemetry scopes are thread-local); it must
 * be closed there. Closing twice does nothing.
 */
public final class PhaseTrace implements AutoCloseable {
    private final Tracer tracer;
    /** Null: timestamps from the SDK's clock; else the wall time at {@link #nanoBase}, and all timestamps derive from it. */
    private final Instant wallBase;

    private final long nanoBase;
    private final Span span;
    private final Context context;
    private final Scope scope;
    private Span phase;
    private Scope phaseScope;
    private boolean closed;

    // The scope outlives this call on purpose: this object is the resource the caller closes, and close() closes it.
    @SuppressWarnings("MustBeClosedChecker")
    private PhaseTrace(Tracer tracer, String name, Attributes attributes, Instant wallBase, long nanoBase) {
        this.tracer = tracer;
        this.wallBase = wallBase;
        this.nanoBase = nanoBase;
        SpanBuilder builder = tracer.spanBuilder(name).setAllAttributes(attributes);
        if (wallBase != null) {
            builder.setStartTimestamp(wallBase);
        }
        this.span = builder.startSpan();
        this.context = Context.current().with(span);
        this.scope = context.makeCurrent();
    }

    /** Starts {@code name} now, as a child of the span current on this thread (a new trace if none). */
    public static PhaseTrace start(Tracer tracer, String name, Attributes attributes) {
        return new PhaseTrace(tracer, name, attributes, null, 0);
    }

    /**
     * Starts {@code name} at {@code startNanos} ({@link System#nanoTime()}), for an operation that
     * measures its own duration from there: the operation's span and its phases take their timestamps
     * from that same clock, and {@link #close(long)} ends it at the caller's end reading, so the span's
     * duration is the caller's measurement, to the nanosecond, and each phase lies within it.
     */
    public static PhaseTrace timed(Tracer tracer, String name, Attributes attributes, long startNanos) {
        return new PhaseTrace(
                tracer, name, attributes, Instant.now().minusNanos(System.nanoTime() - startNanos), startNanos);
    }

    private Instant wallAt(long nanos) {
        return wallBase.plusNanos(nanos - nanoBase);
    }

    /** The operation's span, for attributes learnt on the way. */
    public Span span() {
        return span;
    }

    /** Ends the phase open now, if any, and starts {@code name}; returns it for attributes. */
    @SuppressWarnings("MustBeClosedChecker") // the phase's scope is closed by the next phase, endPhase() or close()
    public Span phase(String name) {
        endPhase();
        SpanBuilder builder = tracer.spanBuilder(name).setParent(context);
        if (wallBase != null) {
            builder.setStartTimestamp(wallAt(System.nanoTime()));
        }
        phase = builder.startSpan();
        phaseScope = phase.makeCurrent();
        return phase;
    }

    /** Ends the phase open now, if any; what follows belongs to the operation's span directly. */
    public void endPhase() {
        if (phase != null) {
            phaseScope.close();
            if (wallBase != null) {
                phase.end(wallAt(System.nanoTime()));
            } else {
                phase.end();
            }
            phase = null;
            phaseScope = null;
        }
    }

    /** Marks the open phase and the operation failed with {@code e}; returns {@code e} for a {@code throw}. */
    public <E extends Throwable> E failed(E e) {
        if (phase != null) {
            Spans.failed(phase, e);
        }
        return Spans.failed(span, e);
    }

    /** Ends the open phase and the operation now. */
    @Override
    public void close() {
        close(System.nanoTime());
    }

    /**
     * Ends the open phase now and the operation at {@code endNanos} ({@link System#nanoTime()}, read by the
     * caller for its own measurement; see {@link #timed}).
     */
    public void close(long endNanos) {
        if (!closed) {
            endPhase();
            scope.close();
            if (wallBase != null) {
                span.end(wallAt(endNanos));
            } else {
                span.end();
            }
            closed = true;
        }
    }
}
