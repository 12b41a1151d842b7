package pm.coordinator;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * The outcomes of the last {@code capacity} calls a client named with a request id, so that a call the
 * client resends (its connection broke after this coordinator acted) is answered with the first one's
 * outcome instead of acting twice; a resend that comes while the first still runs waits for it. A
 * failure that is not final (the caller is asked to try again) is forgotten once the waiters have it.
 * In memory, in front of the {@link pm.coordinator.zk.RequestLedger} that outlives a leader. Thread-safe.
 */
public final class RecentCalls<T> {
    private final Map<String, CompletableFuture<T>> outcomes;
    private final java.util.function.Predicate<RuntimeException> isFinal;

    /** {@code isFinal}: whether a failure is the call's outcome (kept) or asks for a try again (forgotten). */
    public RecentCalls(int capacity, java.util.function.Predicate<RuntimeException> isFinal) {
        this.isFinal = isFinal;
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
            if (!isFinal.test(e)) {
                synchronized (outcomes) {
                    outcomes.remove(requestId, mine);
                }
            }
            throw e;
        }
    }
}
