package pm.agent;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;
import pm.agent.migration.MigrationSource;
import pm.agent.migration.MigrationTarget;
import pm.v1.MigrateRequest;
import pm.v1.MigrationResult;
import pm.v1.SpawnRequest;

/**
 * A migration between two real agents on loopback logs as an operator greps it: each side's events
 * name the process and the migration as key/value pairs, and a line written while a call is handled
 * carries the call's process in its context (the servers' {@code CallLogContext}).
 */
class MigrationLogTest {
    @TempDir
    Path dir;

    @Test
    void migrationEventsNameTheirProcessAndMigration() throws Exception {
        ListAppender<ILoggingEvent> source = capture(MigrationSource.class);
        ListAppender<ILoggingEvent> target = capture(MigrationTarget.class);
        try (Agents agents = new Agents(dir)) {
            NodeAgentServer a = agents.start("a");
            NodeAgentServer b = agents.start("b");
            agents.stub(a)
                    .spawn(SpawnRequest.newBuilder()
                            .setProcessId("logged")
                            .setSpec(Agents.counter(100_000, 20_000, 1 << 20))
                            .build());
            Agents.awaitProgress(agents.stub(a), "logged", 1_000_000);
            MigrationResult r = agents.stub(a)
                    .migrateOut(MigrateRequest.newBuilder()
                            .setProcessId("logged")
                            .setTarget(b.address())
                            .setCommit(true)
                            .build());
            assertThat(r.getCommitted()).isTrue();

            ILoggingEvent out = event(source, "migrated out");
            assertThat(keyValues(out))
                    .containsEntry("process", "logged")
                    .containsEntry("migration", r.getMigrationId())
                    .containsKey("downtime_ms");
            assertThat(out.getMDCPropertyMap())
                    .as("logged while the MigrateOut call was handled")
                    .containsEntry("process", "logged");
            assertThat(keyValues(event(target, "migration prepared")))
                    .containsEntry("process", "logged")
                    .containsEntry("migration", r.getMigrationId());
            assertThat(keyValues(awaitEvent(target, "migration committed; runs here")))
                    .containsEntry("process", "logged")
                    .containsEntry("migration", r.getMigrationId())
                    .containsEntry("epoch", "2");
        } finally {
            ((Logger) LoggerFactory.getLogger(MigrationSource.class)).detachAppender(source);
            ((Logger) LoggerFactory.getLogger(MigrationTarget.class)).detachAppender(target);
        }
    }

    private static ListAppender<ILoggingEvent> capture(Class<?> logger) {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(logger)).addAppender(appender);
        return appender;
    }

    private static ILoggingEvent event(ListAppender<ILoggingEvent> appender, String message) {
        List<ILoggingEvent> seen = List.copyOf(appender.list);
        return seen.stream()
                .filter(e -> e.getFormattedMessage().startsWith(message))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no event '" + message + "' among "
                        + seen.stream().map(ILoggingEvent::getFormattedMessage).toList()));
    }

    /** The target says it resumed the process on its commit call's thread, which may finish after the source's answer. */
    private static ILoggingEvent awaitEvent(ListAppender<ILoggingEvent> appender, String message) {
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(60))
                .until(() -> List.copyOf(appender.list).stream()
                        .anyMatch(e -> e.getFormattedMessage().startsWith(message)));
        return event(appender, message);
    }

    private static Map<String, String> keyValues(ILoggingEvent e) {
        List<KeyValuePair> pairs = e.getKeyValuePairs() == null ? List.of() : e.getKeyValuePairs();
        return pairs.stream().collect(Collectors.toMap(p -> p.key, p -> String.valueOf(p.value)));
    }
}
