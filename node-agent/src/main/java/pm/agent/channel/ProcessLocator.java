package pm.agent.channel;

import java.util.List;
import java.util.Optional;

/** Where a process runs now: the host:port of the agent that hosts it, if known. Implementations may block briefly (a lookup). */
@FunctionalInterface
public interface ProcessLocator {
    Optional<String> addressOf(String processId);

    /** Knows nothing: senders then rely on the hints of agents alone. */
    static ProcessLocator none() {
        return id -> Optional.empty();
    }

    /** Asks each locator in turn; the first that knows answers. */
    static ProcessLocator firstOf(List<ProcessLocator> locators) {
        List<ProcessLocator> copy = List.copyOf(locators);
        return id -> {
            for (ProcessLocator l : copy) {
                Optional<String> a = l.addressOf(id);
                if (a.isPresent()) {
                    return a;
                }
            }
            return Optional.empty();
        };
    }
}
