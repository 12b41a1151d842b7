package pm.coordinator.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import pm.coordinator.ClusterException;

/** Placement as a pure function: which candidates qualify, which one wins, and how a refusal reads. */
class PlacementTest {
    private static final long GIB = 1L << 30;
    private static final long MIB = 1L << 20;

    private static Candidate node(String name, long used, double cpu, Map<String, String> labels, boolean draining) {
        return new Candidate(name, GIB, used, 100, 0, cpu, labels, draining);
    }

    private static PlacementRequest need(long bytes) {
        return new PlacementRequest(bytes, Map.of(), "", Set.of());
    }

    @Test
    void theNodeWithTheMostFreeMemoryAndLeastLoadWins() {
        var nodes = List.of(
                node("a", 512 * MIB, 0.1, Map.of(), false),
                node("b", 64 * MIB, 0.1, Map.of(), false),
                node("c", 64 * MIB, 0.9, Map.of(), false));
        assertThat(Placement.choose(nodes, need(16 * MIB))).isEqualTo("b");
    }

    @Test
    void drainingExcludedAndUnlabelledNodesAreNeverChosen() {
        var nodes = List.of(
                node("a", 0, 0, Map.of("zone", "x"), true),
                node("b", 0, 0, Map.of("zone", "y"), false),
                node("c", 900 * MIB, 0.9, Map.of("zone", "x"), false),
                node("d", 0, 0, Map.of("zone", "x"), false));
        assertThat(Placement.choose(nodes, new PlacementRequest(16 * MIB, Map.of("zone", "x"), "", Set.of("d"))))
                .isEqualTo("c");
    }

    @Test
    void noRoomAnywhereIsNoCapacity() {
        var nodes = List.of(node("a", GIB - MIB, 0, Map.of(), false));
        assertThatThrownBy(() -> Placement.choose(nodes, need(16 * MIB)))
                .isInstanceOfSatisfying(ClusterException.class, e -> {
                    assertThat(e.reason()).isEqualTo(ClusterException.Reason.NO_CAPACITY);
                    assertThat(e.getMessage()).isEqualTo("no node has room for 16 MiB");
                });
    }

    @Test
    void aFullProcessTableIsNoRoomEither() {
        var full = new Candidate("a", GIB, 0, 2, 2, 0, Map.of(), false);
        assertThatThrownBy(() -> Placement.choose(List.of(full), need(MIB))).isInstanceOf(ClusterException.class);
    }

    @Test
    void aPinNamesTheNodeOrSaysWhyNot() {
        var nodes = List.of(node("a", 900 * MIB, 0.9, Map.of(), false), node("b", 0, 0, Map.of(), true));
        assertThat(Placement.choose(nodes, new PlacementRequest(MIB, Map.of(), "a", Set.of())))
                .isEqualTo("a");
        assertThatThrownBy(() -> Placement.choose(nodes, new PlacementRequest(MIB, Map.of(), "b", Set.of())))
                .hasMessage("node b is draining");
        assertThatThrownBy(() -> Placement.choose(nodes, new PlacementRequest(MIB, Map.of(), "n9", Set.of())))
                .isInstanceOfSatisfying(
                        ClusterException.class,
                        e -> assertThat(e.reason()).isEqualTo(ClusterException.Reason.NOT_FOUND))
                .hasMessage("no node n9");
    }

    @Test
    void reservationsCountForTheirHoldTimeThenLapse() {
        long[] now = {0};
        Reservations r = new Reservations(3_000, () -> now[0]);
        r.reserve("a", 100);
        now[0] = 1_000;
        r.reserve("a", 50);
        assertThat(r.of("a")).isEqualTo(150);
        assertThat(r.of("b")).isZero();
        now[0] = 3_000;
        assertThat(r.of("a")).as("the first lapsed").isEqualTo(50);
        now[0] = 4_000;
        assertThat(r.of("a")).isZero();
        r.reserve("a", 7);
        r.forget("a");
        assertThat(r.of("a")).as("a node that left").isZero();
    }
}
