package pm.agent.channel;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where processes this agent handed off went: a migration's source records its target at the
 * commit, so that a delivery arriving here later is answered NOT_HERE with a hint instead of a
 * shrug. Bounded (the oldest entries go first): a hint is a shortcut, the locator is the truth.
 * Thread-safe.
 */
public final class Forwarding {
    private final Map<String, String> targets;

    public Forwarding(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        this.targets = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                return size() > capacity;
            }
        };
    }

    /** {@code processId} now runs on the agent at {@code address} (host:port). */
    public synchronized void handedOff(String processId, String address) {
        targets.remove(processId); // re-inserted as the newest
        targets.put(processId, address);
    }

    public synchronized Optional<String> targetOf(String processId) {
        return Optional.ofNullable(targets.get(processId));
    }
}
