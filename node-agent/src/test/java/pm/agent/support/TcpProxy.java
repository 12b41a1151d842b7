package pm.agent.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Test support: a TCP forwarder on 127.0.0.1 that a test can {@link #cut} (every connection
 * dropped, new ones refused at once), {@link #stall} (connections stay open but nothing goes through:
 * a silent network, or a peer that is paused) and {@link #heal}, to cut a component off from ZooKeeper
 * while it keeps running. One acceptor thread, two pump threads per connection, all daemons.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final String targetHost;
    private final int targetPort;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean cut;
    private volatile boolean stalled;
    /** Guards the stall: pumps wait on it until {@link #heal} or {@link #cut}. */
    private final Object flow = new Object();

    private final java.util.concurrent.atomic.AtomicBoolean dropReply = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean replyDropped;
    private final boolean http2;

    public TcpProxy(String targetHost, int targetPort) throws IOException {
        this(targetHost, targetPort, false);
    }

    /**
     * {@code http2}: the target speaks HTTP/2 (gRPC), so {@link #dropNextReply} can drop the next reply
     * itself (its HEADERS frame, sent once a unary call is done), not a control frame sent before the server acts.
     */
    public TcpProxy(String targetHost, int targetPort, boolean http2) throws IOException {
        this.http2 = http2;
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "tcp-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public String address() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    /** Drops every connection and refuses new ones until {@link #heal}. */
    public void cut() {
        synchronized (flow) {
            cut = true;
            flow.notifyAll(); // stalled pumps go on, into closed sockets
        }
        for (Socket s : open) {
            closeQuietly(s);
        }
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

    public void heal() {
        synchronized (flow) {
            cut = false;
            stalled = false;
            flow.notifyAll();
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

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                if (cut) {
                    closeQuietly(client);
                    continue;
                }
                Socket server = new Socket(targetHost, targetPort);
                open.add(client);
                open.add(server);
                pump(client, server, false);
                pump(server, client, true);
            } catch (IOException e) {
                // listener closed, or the target refused: the client sees its connection drop
            }
        }
    }

    private void pump(Socket from, Socket to, boolean replies) {
        if (replies && http2) {
            pumpFrames(from, to);
            return;
        }
        Thread t = new Thread(
                () -> {
                    byte[] buffer = new byte[16 << 10];
                    try (InputStream in = from.getInputStream();
                            OutputStream out = to.getOutputStream()) {
                        int n;
                        while ((n = in.read(buffer)) >= 0) {
                            if (replies && dropReply.compareAndSet(true, false)) {
                                replyDropped = true;
                                break; // both sockets close below: the client sees its connection reset
                            }
                            awaitFlowing();
                            out.write(buffer, 0, n);
                        }
                    } catch (IOException | InterruptedException ignored) {
                        // either side closed
                    } finally {
                        closeQuietly(from);
                        closeQuietly(to);
                    }
                },
                "tcp-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Forwards whole HTTP/2 frames; the first HEADERS frame after {@link #dropNextReply} (a reply's start) resets the connection instead. */
    private void pumpFrames(Socket from, Socket to) {
        Thread t = new Thread(
                () -> {
                    try (java.io.DataInputStream in = new java.io.DataInputStream(from.getInputStream());
                            OutputStream out = to.getOutputStream()) {
                        byte[] header = new byte[9];
                        while (true) {
                            in.readFully(header);
                            int length = (header[0] & 0xff) << 16 | (header[1] & 0xff) << 8 | (header[2] & 0xff);
                            byte[] frame = java.util.Arrays.copyOf(header, 9 + length);
                            in.readFully(frame, 9, length);
                            if (header[3] == 1 && dropReply.compareAndSet(true, false)) { // HEADERS: a reply begins
                                replyDropped = true;
                                to.setSoLinger(true, 0); // reset, not a clean close: the client sees "connection reset"
                                return;
                            }
                            awaitFlowing();
                            out.write(frame);
                        }
                    } catch (IOException | InterruptedException ignored) {
                        // either side closed
                    } finally {
                        closeQuietly(from);
                        closeQuietly(to);
                    }
                },
                "tcp-proxy-frames");
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
