package pm.common.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Locale;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;

/**
 * A daemon's ZooKeeper connection as its Curator client sees it, for agents and coordinators alike:
 * {@code pm.zookeeper.connected} is 1 while connected (read-only included) and 0 while suspended,
 * lost, or not yet connected; {@code pm.zookeeper.connection.changes} counts the states it entered,
 * by {@code state} (connected, suspended, reconnected, lost, read_only). A daemon that is cut off
 * fences its processes, so an operator wants to see both how long it stays cut off and how often.
 *
 * <p>Curator's event thread writes the state; scrapes read it. Bind before the client starts, or
 * the first CONNECTED is missed (the gauge still starts from the client's current state).
 */
public final class ZooKeeperConnectionMetrics implements MeterBinder, ConnectionStateListener {
    private final CuratorFramework zk;
    private volatile boolean connected;
    private MeterRegistry registry;

    public ZooKeeperConnectionMetrics(CuratorFramework zk) {
        this.zk = zk;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        this.registry = registry;
        connected = zk.getZookeeperClient().isConnected();
        Gauge.builder("pm.zookeeper.connected", this, m -> m.connected ? 1 : 0)
                .description("1 while this daemon's ZooKeeper client is connected, else 0")
                .register(registry);
        for (ConnectionState s : ConnectionState.values()) {
            changes(s); // every state's series exists from the start, so rate() and increase() see its first change
        }
        zk.getConnectionStateListenable().addListener(this);
    }

    @Override
    public void stateChanged(CuratorFramework client, ConnectionState newState) {
        connected = newState.isConnected();
        changes(newState).increment();
    }

    private Counter changes(ConnectionState s) {
        return Counter.builder("pm.zookeeper.connection.changes")
                .tag("state", s.name().toLowerCase(Locale.ROOT))
                .description("ZooKeeper connection states this daemon entered")
                .register(registry);
    }
}
