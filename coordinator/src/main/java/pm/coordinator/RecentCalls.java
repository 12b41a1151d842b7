package pm.coordinator;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * The outcomes of the last {@code capacity} calls a client named with a request id, so that a call the
 * client resends (its connection broke after this coordinator acted) is answered with the first one's
 * outcome, success or failure, instead of acting twice; a resend that comes while the first still runs
 * waits for it. Kept in memory: a resend that reaches a new leader acts again. Thread-safe.
 */
public final class RecentCalls<T> {
    private final Map<String, CompletableFuture<T>> outcomes;

    public RecentCalls(int capacity) {
        this.outcomes = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<T>> eldest) {
                return size() > capacity;
            }
        };
    }

    /** Runs {@code call} unless a call named {@code requestId} ran or runs already; its outcome either way. */
    public T once(String requestId, Supplier<T> call) {
        if (requestId.isEmpty()) {
            return call.get();
        }
        CompletableFuture<T> mine = new CompletableFuture<>();
        CompletableFuture<T> first;
        synchronized (outcomes) {
            first = outcomes.putIfAbsent(requestId, mine);
        }
        if (first != null) {
            try {
                return first.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
        try {
            T result = call.get();
            mine.complete(result);
            return result;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        }
    }
}
