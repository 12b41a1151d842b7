package pm.testsupport;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP relay on 127.0.0.1 in front of one address, to cut a component off from ZooKeeper or its peers
 * while it keeps running: {@link #cut} (every open connection dropped, new ones closed as soon as they
 * arrive), {@link #stall} (connections stay open but nothing goes through: a silent network, or a peer
 * that is paused), {@link #dropNextReply} (the connection is reset just as the target's reply comes
 * back, after the target acted) and {@link #heal}.
 *
 * <p>Each accepted connection is relayed by the built-in copier (bytes both ways; with {@link #http2}, the
 * replies as whole HTTP/2 frames) or by a {@link Relay} of the caller's, which reads a protocol frame by
 * frame; {@code stall} and {@code dropNextReply} act on the built-in copier only. One acceptor thread and
 * the relay's threads per connection, all daemons; the flags are volatile and read by all of them.
 */
public final class TcpProxy implements AutoCloseable {
    /** Starts relaying one accepted connection between {@code client} and {@code server} (on threads of its own). */
    public interface Relay {
        void start(Socket client, Socket server);
    }

    private final ServerSocket listener;
    private final String host;
    private final int port;
    /** Null: the built-in copier. */
    private final Relay relay;

    private final boolean http2;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;
    private volatile boolean stalled;
    /** Guards the stall: copiers wait on it until {@link #heal} or {@link #cut}. */
    private final Object flow = new Object();

    private final AtomicBoolean dropReply = new AtomicBoolean();
    private volatile boolean replyDropped;

    /** Relays to {@code target} ({@code HOST:PORT}), copying bytes both ways. */
    public TcpProxy(String target) throws IOException {
        this(target, null, false);
    }

    /** Relays to {@code target} ({@code HOST:PORT}) with {@code relay}. */
    public TcpProxy(String target, Relay relay) throws IOException {
        this(target, Objects.requireNonNull(relay, "relay"), false);
    }

    /**
     * Relays to {@code target} ({@code HOST:PORT}), which speaks HTTP/2 (gRPC): {@link #dropNextReply} then
     * drops the next reply itself (its HEADERS frame, sent once a unary call is done), not a control frame
     * sent before the server acts.
     */
    public static TcpProxy http2(String target) throws IOException {
        return new TcpProxy(target, null, true);
    }

    private TcpProxy(String target, Relay relay, boolean http2) throws IOException {
        int colon = target.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("not HOST:PORT: " + target);
        }
        this.host = target.substring(0, colon);
        this.port = Integer.parseInt(target.substring(colon + 1));
        this.relay = relay;
        this.http2 = http2;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "pm-tcp-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Where clients connect: {@code 127.0.0.1:PORT}. */
    public String address() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    /** Drops every connection and closes new ones as they arrive, until {@link #heal}. */
    public void cut() {
        synchronized (flow) {
            cut = true;
            flow.notifyAll(); // stalled copiers go on, into closed sockets
        }
        open.forEach(TcpProxy::closeQuietly);
        open.clear();
    }

    /** Holds every byte in both directions, connections left open, until {@link #heal}. */
    public void stall() {
        stalled = true;
    }

    /**
     * The next bytes the target sends (a reply to what the client sent last) are not forwarded: that
     * connection is reset instead, as a network does that fails after the server acted.
     */
    public void dropNextReply() {
        replyDropped = false;
        dropReply.set(true);
    }

    /** Whether a reply was dropped since {@link #dropNextReply}. */
    public boolean replyDropped() {
        return replyDropped;
    }

    /** Passes connections and bytes again after {@link #cut} or {@link #stall}. */
    public void heal() {
        synchronized (flow) {
            cut = false;
            stalled = false;
            flow.notifyAll();
        }
    }

    /** Closes a relayed connection's two sockets (for a {@link Relay} whose connection ended or is to break). */
    public void drop(Socket client, Socket server) {
        closeQuietly(client);
        closeQuietly(server);
        open.remove(client);
        open.remove(server);
    }

    /** Runs {@code r} on a daemon thread (for a {@link Relay}'s copying threads). */
    public static void onThread(Runnable r) {
        Thread t = new Thread(r, "pm-tcp-proxy-relay");
        t.setDaemon(true);
        t.start();
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
                if (relay != null) {
                    relay.start(inbound, outbound);
                } else {
                    onThread(() -> copy(inbound, outbound, false));
                    onThread(http2 ? () -> copyFrames(outbound, inbound) : () -> copy(outbound, inbound, true));
                }
            } catch (IOException e) {
                closeQuietly(inbound); // the target is down: the client sees its connection drop
            }
        }
    }

    /** Returns once bytes may go through (not stalled, or cut: the write then fails on a closed socket). */
    private void awaitFlowing() throws InterruptedException {
        synchronized (flow) {
            while (stalled && !cut) {
                flow.wait();
            }
        }
    }

    /** Copies bytes; on {@code replies} (target to client), an armed {@link #dropNextReply} breaks the connection instead. */
    private void copy(Socket from, Socket to, boolean replies) {
        byte[] buffer = new byte[16 << 10];
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                if (replies && dropReply.compareAndSet(true, false)) {
                    replyDropped = true;
                    return; // both sockets close below: the client sees its connection end
                }
                awaitFlowing();
                out.write(buffer, 0, n);
            }
        } catch (IOException | InterruptedException e) {
            // one side closed or was cut
        } finally {
            drop(from, to);
        }
    }

    /** Copies the target's whole HTTP/2 frames; the first HEADERS frame after {@link #dropNextReply} (a reply's start) resets the connection instead. */
    private void copyFrames(Socket from, Socket to) {
        try (DataInputStream in = new DataInputStream(from.getInputStream());
                OutputStream out = to.getOutputStream()) {
            byte[] header = new byte[9];
            while (true) {
                in.readFully(header);
                int length = (header[0] & 0xff) << 16 | (header[1] & 0xff) << 8 | (header[2] & 0xff);
                byte[] frame = Arrays.copyOf(header, 9 + length);
                in.readFully(frame, 9, length);
                if (header[3] == 1 && dropReply.compareAndSet(true, false)) { // HEADERS: a reply begins
                    replyDropped = true;
                    to.setSoLinger(true, 0); // reset, not a clean close: the client sees "connection reset"
                    return;
                }
                awaitFlowing();
                out.write(frame);
            }
        } catch (IOException | InterruptedException e) {
            // one side closed or was cut
        } finally {
            drop(to, from);
        }
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
