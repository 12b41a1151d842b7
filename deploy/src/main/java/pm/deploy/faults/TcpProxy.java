package pm.deploy.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on 127.0.0.1 in front of one address, which the suite can {@link #cut} (every open
 * connection dropped, new ones closed as soon as they arrive) and {@link #heal}: it cuts one agent off
 * from ZooKeeper, or from its peers, while the agent itself keeps running. Each connection is relayed
 * by a {@link Relay}: bytes copied both ways, or a protocol read frame by frame. One acceptor thread
 * and the relay's threads per connection, all daemons; {@code cut} is read by all of them.
 */
final class TcpProxy implements AutoCloseable {
    /** Starts relaying one accepted connection between {@code client} and {@code server} (on threads of its own). */
    interface Relay {
        void start(Socket client, Socket server);
    }

    private final ServerSocket listener;
    private final String host;
    private final int port;
    private final Relay relay;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;

    /** Relays to {@code target} ({@code HOST:PORT}), copying bytes both ways. */
    TcpProxy(String target) throws IOException {
        this(target, null);
    }

    /** Relays to {@code target} ({@code HOST:PORT}) with {@code relay} (null: copying bytes both ways). */
    TcpProxy(String target, Relay relay) throws IOException {
        this.relay = relay != null
                ? relay
                : (client, server) -> {
                    copy(client, server);
                    copy(server, client);
                };
        int colon = target.lastIndexOf(':');
        this.host = target.substring(0, colon);
        this.port = Integer.parseInt(target.substring(colon + 1));
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "pm-faults-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String address() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    void cut() {
        cut = true;
        open.forEach(TcpProxy::closeQuietly);
        open.clear();
    }

    void heal() {
        cut = false;
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket inbound;
            try {
                inbound = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (cut) {
                closeQuietly(inbound);
                continue;
            }
            try {
                Socket outbound = new Socket(host, port);
                open.add(inbound);
                open.add(outbound);
                relay.start(inbound, outbound);
            } catch (IOException e) {
                closeQuietly(inbound); // the target is down: the client sees its connection drop
            }
        }
    }

    private void copy(Socket from, Socket to) {
        onThread(() -> {
            byte[] buffer = new byte[16 << 10];
            try (InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, n);
                }
            } catch (IOException e) {
                // one side closed or was cut
            } finally {
                drop(from, to);
            }
        });
    }

    /** Closes a relayed connection's two sockets. */
    void drop(Socket client, Socket server) {
        closeQuietly(client);
        closeQuietly(server);
        open.remove(client);
        open.remove(server);
    }

    /** Runs {@code r} on a daemon thread of the proxy's. */
    static void onThread(Runnable r) {
        Thread t = new Thread(r, "pm-faults-proxy-relay");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        cut();
        listener.close();
    }
}
