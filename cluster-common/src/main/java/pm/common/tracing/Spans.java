package pm.common.tracing;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.util.function.Supplier;

/** Runs one step in a span of its own (child of the current one), current while it runs. Stateless. */
public final class Spans {
    private Spans() {}

    /** {@code work} in span {@code name}; a failure marks the span ERROR with the exception and goes on. */
    public static <T> T call(Tracer tracer, String name, Attributes attributes, Supplier<T> work) {
        Span span = tracer.spanBuilder(name).setAllAttributes(attributes).startSpan();
        try (Scope ignored = span.makeCurrent()) {
            return work.get();
        } catch (RuntimeException e) {
            throw failed(span, e);
        } catch (Error e) {
            throw failed(span, e);
        } finally {
            span.end();
        }
    }

    /** Marks {@code span} failed with {@code e}; returns {@code e} for a {@code throw}. */
    public static <E extends Throwable> E failed(Span span, E e) {
        span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
        span.recordException(e);
        return e;
    }
}
