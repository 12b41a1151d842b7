package pm.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The call options: immutable values whose defaults need no sentinel, and which refuse nonsense early. */
class OptionsTest {
    @Test
    void logOptionsDefaultToWhatIsWrittenFromTheStart() {
        LogOptions written = LogOptions.written();

        assertThat(written.isFollow()).isFalse();
        assertThat(written.fromOffset()).isZero();
        LogOptions later = LogOptions.follow().from(42);
        assertThat(later.isFollow()).isTrue();
        assertThat(later.fromOffset()).isEqualTo(42);
        assertThatThrownBy(() -> LogOptions.written().from(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aListFilterAddsLabelsAndANodeWithoutChangingTheOriginal() {
        ListFilter team = ListFilter.label("team", "a");
        ListFilter narrower = team.withLabels(Map.of("tier", "gold")).withNode("node-a");

        assertThat(team.labels()).containsExactly(Map.entry("team", "a"));
        assertThat(team.node()).isEmpty();
        assertThat(narrower.labels()).containsOnly(Map.entry("team", "a"), Map.entry("tier", "gold"));
        assertThat(narrower.node()).contains("node-a");
        assertThat(ListFilter.all().labels()).isEmpty();
        assertThat(ListFilter.all().node()).isEmpty();
    }

    @Test
    void aBlankNodeIsRefusedRatherThanReadAsAnyNode() {
        assertThatThrownBy(() -> ListFilter.onNode("")).isInstanceOf(IllegalArgumentException.class);
        try (ClusterClient client = ClusterClient.connect("127.0.0.1:1")) {
            assertThatThrownBy(() -> client.migrate("p1", " "))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("placement");
            assertThatThrownBy(() -> client.resume("p1", "")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void eventOptionsSayWhichKeptEventsComeFirstAndAboutWhom() {
        assertThat(EventOptions.newOnly().sinceIndex()).isNegative();
        assertThat(EventOptions.allKept().sinceIndex()).isZero();
        EventOptions p1 = EventOptions.after(1234).about("p1");
        assertThat(p1.sinceIndex()).isEqualTo(1234);
        assertThat(p1.processId()).contains("p1");
        assertThat(EventOptions.allKept().processId()).isEmpty();
        assertThatThrownBy(() -> EventOptions.after(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EventOptions.newOnly().about("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void checkpointOptionsSayWhichKind() {
        assertThat(CheckpointOptions.full().isIncremental()).isFalse();
        assertThat(CheckpointOptions.incremental().isIncremental()).isTrue();
    }
}
