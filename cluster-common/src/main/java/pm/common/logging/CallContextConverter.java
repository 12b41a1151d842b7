package pm.common.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * {@code %callContext} in a text log pattern: the call's context (the MDC that {@link CallLogContext}
 * fills) as {@code key=value} pairs after a space, leaving out the keys the event names itself, so a
 * line that says its process and migration does not say them twice. Empty when nothing is left.
 * Stateless; logback calls it on the logging thread.
 */
public final class CallContextConverter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
        Map<String, String> context = event.getMDCPropertyMap();
        if (context == null || context.isEmpty()) {
            return "";
        }
        Set<String> named = new HashSet<>();
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            pairs.forEach(p -> named.add(p.key));
        }
        StringBuilder out = new StringBuilder();
        context.entrySet().stream()
                .filter(e -> !named.contains(e.getKey()))
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> out.append(' ').append(e.getKey()).append('=').append(e.getValue()));
        return out.toString();
    }
}
