package pm.coordinator.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import pm.common.security.Identity;
import pm.common.security.Role;

class ConsoleSessionsTest {
    /** A clock the test moves. */
    private static final class TestClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    private final TestClock clock = new TestClock();
    private final ConsoleSessions sessions = new ConsoleSessions(clock);
    private final Identity alice = new Identity("alice", Role.VIEWER);

    @Test
    void aLoginTokenOpensOneSessionWithTheIdentityItWasIssuedTo() {
        String token = sessions.issue(alice).token();

        ConsoleSession session = sessions.redeem(token).orElseThrow();

        assertThat(session.identity()).isEqualTo(alice);
        assertThat(session.csrf()).isNotEqualTo(session.id()).isNotEqualTo(token);
        assertThat(sessions.find(session.id())).contains(session);
        assertThat(sessions.redeem(token)).as("second use").isEmpty();
    }

    @Test
    void anExpiredLoginTokenOpensNothing() {
        String token = sessions.issue(alice).token();
        clock.advance(ConsoleSessions.LOGIN_VALID);

        assertThat(sessions.redeem(token)).isEmpty();
    }

    @Test
    void aSessionEndsWhenItExpiresOrLogsOut() {
        ConsoleSession first = sessions.redeem(sessions.issue(alice).token()).orElseThrow();
        ConsoleSession second = sessions.redeem(sessions.issue(alice).token()).orElseThrow();
        sessions.end(second.id());
        assertThat(sessions.find(second.id())).isEmpty();

        clock.advance(ConsoleSessions.SESSION_VALID);

        assertThat(sessions.find(first.id())).isEmpty();
        assertThat(sessions.find("made-up")).isEmpty();
        assertThat(sessions.redeem("made-up")).isEmpty();
    }
}
