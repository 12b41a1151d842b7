package pm.deploy.faults;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A relay on 127.0.0.1 in front of ZooKeeper that reads the client protocol's frames (a length, then
 * after each connection's handshake a request's xid and type, or a reply's xid), so that it can lose
 * the reply to one chosen request: the request reaches the server and is applied, and the connection
 * breaks just as its reply comes back, before the client sees it. That is the ambiguous outcome a
 * network gives a client at the worst moment; optionally the relay then passes nothing more (a
 * partition that starts at that moment) until healed. One acceptor thread and two copying threads per
 * connection, all daemons; the arming is read by all of them.
 */
final class ZooKeeperRelay implements AutoCloseable {
    /** ZooKeeper's op code of a multi-operation transaction. */
    static final int MULTI = 14;

    private final ServerSocket listener;
    private final String host;
    private final int port;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    /** Requests of the armed type still to pass before the one whose reply is lost; below zero: not armed. */
    private final AtomicInteger countdown = new AtomicInteger(-1);
    private volatile int armedType;
    private volatile boolean replyLost;
    /** Once the reply is lost, every connection is dropped and new ones refused until {@link #heal}. */
    private volatile boolean partitionAfter;
    private volatile boolean partitioned;

    /** Relays to {@code target} ({@code HOST:PORT}). */
    ZooKeeperRelay(String target) throws IOException {
        int colon = target.lastIndexOf(':');
        this.host = target.substring(0, colon);
        this.port = Integer.parseInt(target.substring(colon + 1));
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "pm-faults-zk-relay-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String address() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    /**
     * Loses the reply to the {@code nth} (from 1) request of op code {@code type} from now on, on whichever
     * connection sends it; with {@code thenPartition} the relay then passes nothing until {@link #heal}.
     */
    void loseReplyTo(int type, int nth, boolean thenPartition) {
        replyLost = false;
        partitionAfter = thenPartition;
        armedType = type;
        countdown.set(nth);
    }

    /** Passes connections again after a partition. */
    void heal() {
        partitioned = false;
    }

    /** Whether the armed reply has been lost (the fault fired). */
    boolean replyLost() {
        return replyLost;
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (partitioned) {
                closeQuietly(client);
                continue;
            }
            try {
                Socket server = new Socket(host, port);
                open.add(client);
                open.add(server);
                Connection c = new Connection(client, server);
                start(c::requests);
                start(c::replies);
            } catch (IOException e) {
                closeQuietly(client); // ZooKeeper is down: the client sees its connection drop
            }
        }
    }

    /** One client connection; {@code doomedXid} is the request whose reply is to be lost, once it passed. */
    private final class Connection {
        final Socket client;
        final Socket server;
        volatile int doomedXid;
        volatile boolean doomed;

        Connection(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void requests() {
            try (DataInputStream in = new DataInputStream(client.getInputStream());
                    DataOutputStream out = new DataOutputStream(server.getOutputStream())) {
                forward(in, out); // the handshake: no xid
                while (true) {
                    byte[] frame = forwardable(in);
                    ByteBuffer b = ByteBuffer.wrap(frame);
                    if (frame.length >= 8 && b.getInt(4) == armedType && countdown.get() > 0 && countdown.decrementAndGet() == 0) {
                        doomedXid = b.getInt(0);
                        doomed = true;
                    }
                    write(out, frame);
                }
            } catch (IOException e) {
                // a side closed
            } finally {
                closeBoth();
            }
        }

        void replies() {
            try (DataInputStream in = new DataInputStream(server.getInputStream());
                    DataOutputStream out = new DataOutputStream(client.getOutputStream())) {
                forward(in, out); // the handshake's answer: no xid
                while (true) {
                    byte[] frame = forwardable(in);
                    if (doomed && frame.length >= 4 && ByteBuffer.wrap(frame).getInt(0) == doomedXid) {
                        replyLost = true;
                        if (partitionAfter) {
                            partitioned = true;
                            open.forEach(ZooKeeperRelay::closeQuietly);
                        }
                        return; // applied on the server; the client never hears of it
                    }
                    write(out, frame);
                }
            } catch (IOException e) {
                // a side closed
            } finally {
                closeBoth();
            }
        }

        void closeBoth() {
            closeQuietly(client);
            closeQuietly(server);
            open.remove(client);
            open.remove(server);
        }
    }

    private static void forward(DataInputStream in, DataOutputStream out) throws IOException {
        write(out, forwardable(in));
    }

    private static byte[] forwardable(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > (64 << 20)) {
            throw new IOException("not a ZooKeeper frame: length " + length);
        }
        byte[] frame = new byte[length];
        in.readFully(frame);
        return frame;
    }

    private static void write(DataOutputStream out, byte[] frame) throws IOException {
        out.writeInt(frame.length);
        out.write(frame);
        out.flush();
    }

    private static void start(Runnable r) {
        Thread t = new Thread(r, "pm-faults-zk-relay");
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
        listener.close();
        open.forEach(ZooKeeperRelay::closeQuietly);
        open.clear();
    }
}
