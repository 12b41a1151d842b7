package pm.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import pm.v1.LogChunk;

/** How the SDK finds the leader among coordinators, against stand-ins that redirect as the real ones do. */
class LeaderRoutingTest {
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private FakeCoordinator coordinator() throws Exception {
        FakeCoordinator c = new FakeCoordinator();
        closing.add(c);
        return c;
    }

    private ClusterClient client(String... addresses) {
        ClusterClient c = ClusterClient.connect(String.join(",", addresses));
        closing.add(c);
        return c;
    }

    private static String deadAddress() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    private static String servedBy(ClusterClient client) {
        return client.nodes().get(0).getRecord().getName();
    }

    @Test
    void aStandbysTrailerLeadsToTheLeader() throws Exception {
        FakeCoordinator leader = coordinator();
        FakeCoordinator standby = coordinator().standbyFor(leader.address(), true);

        assertThat(servedBy(client(standby.address()))).isEqualTo("served-by-" + leader.address());
    }

    @Test
    void theMessageLeadsToTheLeaderWhenTheTrailerIsMissing() throws Exception {
        FakeCoordinator leader = coordinator();
        FakeCoordinator standby = coordinator().standbyFor(leader.address(), false);

        assertThat(servedBy(client(standby.address()))).isEqualTo("served-by-" + leader.address());
    }

    @Test
    void theLeaderIsRememberedForTheNextCall() throws Exception {
        FakeCoordinator leader = coordinator();
        FakeCoordinator standby = coordinator().standbyFor(leader.address(), true);
        ClusterClient client = client(standby.address());

        servedBy(client);
        servedBy(client);

        assertThat(standby.calls()).isEqualTo(1);
        assertThat(leader.calls()).isEqualTo(2);
    }

    @Test
    void aCoordinatorThatIsDownIsSkipped() throws Exception {
        FakeCoordinator leader = coordinator();

        assertThat(servedBy(client(deadAddress(), leader.address()))).isEqualTo("served-by-" + leader.address());
    }

    @Test
    void noneReachableIsUnreachable() throws Exception {
        String a = deadAddress();
        String b = deadAddress();

        assertThatThrownBy(() -> client(a, b).nodes())
                .isInstanceOf(CoordinatorUnreachableException.class)
                .hasMessageContaining(a)
                .hasMessageContaining(b)
                .satisfies(e -> assertThat(((ClusterClientException) e).code()).isEqualTo(ErrorCode.UNAVAILABLE));
    }

    @Test
    void aCallWaitsOutAnElectionInsteadOfFailing() throws Exception {
        FakeCoordinator winner = coordinator().electingFor(3);

        assertThat(servedBy(client(deadAddress(), winner.address()))).isEqualTo("served-by-" + winner.address());
        assertThat(winner.calls())
                .as("three refusals while electing, then the answer")
                .isEqualTo(4);
    }

    @Test
    void standbysNamingEachOtherDoNotBounceForever() throws Exception {
        FakeCoordinator one = coordinator();
        FakeCoordinator two = coordinator();
        one.standbyFor(two.address(), true);
        two.standbyFor(one.address(), true);

        assertThatThrownBy(() -> client(one.address()).nodes()).isInstanceOf(CoordinatorUnreachableException.class);
        assertThat(one.calls() + two.calls()).isLessThan(10);
    }

    @Test
    void theLeadersOwnUnavailableIsTheAnswerNotARedirect() throws Exception {
        FakeCoordinator leader = coordinator().failingWith(Status.UNAVAILABLE.withDescription("node b is down"));
        FakeCoordinator other = coordinator();

        assertThatThrownBy(() -> client(leader.address(), other.address()).get("p1"))
                .isExactlyInstanceOf(UnavailableException.class)
                .hasMessage("node b is down (UNAVAILABLE)");
        assertThat(other.calls()).isZero();
    }

    @Test
    void aRefusalCarriesTheCodeAndTheServersLine() throws Exception {
        FakeCoordinator leader = coordinator();

        assertThatThrownBy(() -> client(leader.address()).get("p9"))
                .isInstanceOf(NotFoundException.class)
                .hasMessage("no process p9 (NOT_FOUND)")
                .satisfies(e ->
                        assertThat(((ClusterClientException) e).description()).isEqualTo("no process p9"));
    }

    @Test
    void aStreamIsRedirectedBeforeItsFirstMessage() throws Exception {
        FakeCoordinator leader = coordinator();
        FakeCoordinator standby = coordinator().standbyFor(leader.address(), true);
        List<LogChunk> chunks = new ArrayList<>();

        client(standby.address()).logs("p1", chunks::add);

        assertThat(chunks).extracting(LogChunk::getOffset).containsExactly(0L, 1L, 2L);
    }

    @Test
    void aFailingConsumerEndsTheStreamWithItsException() throws Exception {
        FakeCoordinator leader = coordinator();

        assertThatThrownBy(() -> client(leader.address()).logs("p1", c -> {
                    throw new IllegalStateException("enough");
                }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("enough");
    }

    @Test
    void theLeaderIsFoundForCallsThatCannotBeReplayed() throws Exception {
        FakeCoordinator leader = coordinator();
        FakeCoordinator standby = coordinator().standbyFor(leader.address(), true);
        ClusterClient client = client(standby.address());

        assertThat(client.leader().getLeaderAddress()).isEqualTo(leader.address());
        assertThat(client.leader().getIsLeader()).isFalse();
    }

    @Test
    void aFollowedLogPicksUpAtTheNextByteWhenItsStreamBreaks() throws Exception {
        FakeCoordinator leader = coordinator();
        StringBuilder seen = new StringBuilder();
        List<Long> offsets = new ArrayList<>();

        client(leader.address()).logs("p1", LogOptions.follow(), c -> {
            offsets.add(c.getOffset());
            seen.append(c.getData().toStringUtf8());
        });

        assertThat(seen.toString()).isEqualTo("xxxy");
        assertThat(offsets).containsExactly(0L, 1L, 2L, 3L);
        assertThat(leader.calls()).isEqualTo(2);
    }
}
