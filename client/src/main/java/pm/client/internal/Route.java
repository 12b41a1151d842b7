package pm.client.internal;

import io.grpc.Metadata;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import pm.client.CoordinatorUnreachableException;

/**
 * One call's walk to the leader: where it is now and where it has been. A standby's redirect is followed
 * (a bounded number of hops, so two confused standbys cannot bounce a call forever); a coordinator that
 * cannot be reached, or a standby that knows no leader, sends the call to the next configured address
 * not yet tried. Owned by one call; the callbacks that advance it are serialised by gRPC.
 */
final class Route {
    private final List<String> seeds;
    private final List<String> tried = new ArrayList<>();
    private final int maxHops;
    private String address;
    private int hops;
    private boolean electing;

    Route(List<String> seeds, String start) {
        this.seeds = seeds;
        this.maxHops = seeds.size() + 3;
        this.address = start;
        tried.add(start);
    }

    String address() {
        return address;
    }

    /**
     * Where to try after the current address failed with {@code status}, or empty when the status is the
     * cluster's answer to the call and goes back to the caller.
     *
     * @throws CoordinatorUnreachableException when the status says "not here" and no address is left
     */
    Optional<String> next(Status status, Metadata trailers) {
        Optional<String> leader = LeaderHint.leader(status, trailers);
        // "No leader is elected yet", or a standby naming itself (it won and is not serving yet).
        electing |= LeaderHint.fromStandby(status)
                && (leader.isEmpty() || leader.get().equals(address));
        if (leader.isPresent() && !leader.get().equals(address) && hops < maxHops) {
            return moveTo(leader.get());
        }
        if (leader.isPresent() || LeaderHint.fromStandby(status) || LeaderHint.transportFailure(status)) {
            for (String seed : seeds) {
                if (!tried.contains(seed)) {
                    return moveTo(seed);
                }
            }
            throw StatusErrors.unreachable(tried, status);
        }
        return Optional.empty();
    }

    /** Whether a coordinator said on the way that a leader is being elected (none yet, or not serving yet). */
    boolean electing() {
        return electing;
    }

    private Optional<String> moveTo(String next) {
        hops++;
        address = next;
        if (!tried.contains(next)) {
            tried.add(next);
        }
        return Optional.of(next);
    }
}
