package pm.coordinator.zk;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import pm.common.cluster.ClusterLayout;

/**
 * Leader election over a Curator {@link LeaderLatch} whose participant id is this coordinator's
 * gRPC address. {@link #isLeader} turns false the moment the connection is SUSPENDED or LOST, before
 * the latch itself notices, so a coordinator that may have lost its session stops acting at once.
 * Callbacks run on Curator's event threads; {@code acting} is the one flag every thread reads.
 */
public final class Leadership implements AutoCloseable {
    /** Told when this coordinator starts and stops leading. */
    public interface Listener {
        void elected();

        void deposed();
    }

    private enum State {
        LATENT,
        STARTED,
        CLOSED
    }

    private final CuratorFramework zk;
    private final LeaderLatch latch;
    private final String address;
    private final Listener listener;
    private final AtomicBoolean acting = new AtomicBoolean();
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final ConnectionStateListener connection = this::connectionChanged;

    public Leadership(CuratorFramework zk, ClusterLayout layout, String address, Listener listener) {
        this.zk = zk;
        this.address = address;
        this.listener = listener;
        this.latch = new LeaderLatch(zk, layout.leader(), address);
    }

    public void start() throws Exception {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("leadership already started");
        }
        zk.getConnectionStateListenable().addListener(connection);
        latch.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                if (state.get() == State.STARTED
                        && zk.getZookeeperClient().isConnected()
                        && acting.compareAndSet(false, true)) {
                    listener.elected();
                }
            }

            @Override
            public void notLeader() {
                depose();
            }
        });
        latch.start();
    }

    private void connectionChanged(CuratorFramework client, ConnectionState newState) {
        if (newState == ConnectionState.SUSPENDED || newState == ConnectionState.LOST) {
            depose();
        }
    }

    private void depose() {
        if (acting.compareAndSet(true, false)) {
            listener.deposed();
        }
    }

    public boolean isLeader() {
        return acting.get() && latch.hasLeadership();
    }

    public String address() {
        return address;
    }

    /** The leader's gRPC address, or empty while none is elected (or ZooKeeper cannot be asked). */
    public String leaderAddress() {
        if (isLeader()) {
            return address;
        }
        try {
            var leader = latch.getLeader();
            return leader.isLeader() ? leader.getId() : "";
        } catch (Exception e) {
            return "";
        }
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) != State.STARTED) {
            return;
        }
        depose();
        zk.getConnectionStateListenable().removeListener(connection);
        try {
            latch.close();
        } catch (IOException | IllegalStateException ignored) {
            // the session is gone already: so is the latch's znode
        }
    }
}
