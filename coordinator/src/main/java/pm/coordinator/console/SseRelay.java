package pm.coordinator.console;

import com.sun.net.httpserver.HttpExchange;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Relays one server-streaming Cluster call to a browser as Server-Sent Events: gRPC's thread queues
 * what arrives, the HTTP thread that owns the exchange writes it (and a comment every
 * {@value #KEEPALIVE_SECONDS} s, which is how it notices a browser that left) until the call ends or
 * the browser goes, then cancels the call. A browser that reads too slowly for {@value #QUEUE} queued
 * messages is ended; its EventSource reconnects where it was.
 */
final class SseRelay {
    private static final int QUEUE = 4096;
    private static final long KEEPALIVE_SECONDS = 10;

    /** One message to the browser: its SSE event name, its id (where a reconnect resumes; empty: none), its text. */
    record Message(String event, String id, String data) {}

    private record End(Status status) {}

    private SseRelay() {}

    /** Starts the call through {@code start} and relays each reply as {@code render} makes it, on this thread. */
    static <Q, T> void relay(
            HttpExchange exchange, Consumer<ClientResponseObserver<Q, T>> start, Function<T, Message> render)
            throws IOException {
        BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        AtomicReference<ClientCallStreamObserver<Q>> call = new AtomicReference<>();
        start.accept(new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<Q> requestStream) {
                call.set(requestStream);
            }

            @Override
            public void onNext(T value) {
                if (queue.size() < QUEUE) {
                    queue.add(value);
                } else {
                    queue.add(new End(Status.RESOURCE_EXHAUSTED.withDescription("the browser fell behind")));
                    call.get().cancel("the browser fell behind", null);
                }
            }

            @Override
            public void onError(Throwable t) {
                queue.add(new End(Status.fromThrowable(t)));
            }

            @Override
            public void onCompleted() {
                queue.add(new End(Status.OK));
            }
        });
        Exchanges.secure(exchange);
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            while (true) {
                Object next = queue.poll(KEEPALIVE_SECONDS, TimeUnit.SECONDS);
                if (next == null) {
                    write(out, ": keep-alive\n\n");
                } else if (next instanceof End end) {
                    if (end.status().getCode() != Status.Code.CANCELLED) {
                        String why = end.status().isOk()
                                ? "ended"
                                : end.status().getCode() + ": " + end.status().getDescription();
                        write(out, frame(new Message("end", "", why)));
                    }
                    return;
                } else {
                    @SuppressWarnings("unchecked")
                    T value = (T) next;
                    write(out, frame(render.apply(value)));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException gone) {
            // the browser closed the page: nothing to tell it
        } finally {
            ClientCallStreamObserver<Q> c = call.get();
            if (c != null) {
                c.cancel("the browser left", null);
            }
            exchange.close();
        }
    }

    /** The SSE frame: each line of the text its own {@code data:} line, so a line break cannot start a field. */
    static String frame(Message m) {
        StringBuilder out = new StringBuilder(m.data().length() + 32);
        out.append("event: ").append(oneLine(m.event())).append('\n');
        if (!m.id().isEmpty()) {
            out.append("id: ").append(oneLine(m.id())).append('\n');
        }
        for (String line : m.data().split("\r\n|\r|\n", -1)) {
            out.append("data: ").append(line).append('\n');
        }
        return out.append('\n').toString();
    }

    private static String oneLine(String s) {
        return s.replaceAll("[\r\n]", " ");
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
