package pm.deploy.faults;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import pm.testsupport.TcpProxy;

/**
 * A {@link TcpProxy} in front of ZooKeeper that reads the client protocol's frames (a length, then
 * after each connection's handshake a request's xid and type, or a reply's xid), so that it can lose
 * the reply to one chosen request: the request reaches the server and is applied, and the connection
 * breaks just as its reply comes back, before the client sees it. That is the ambiguous outcome a
 * network gives a client at the worst moment; optionally the relay is then cut (a partition that
 * starts at that moment) until healed. Two copying threads per connection; the arming is read by all.
 */
final class ZooKeeperRelay implements AutoCloseable {
    /** ZooKeeper's op code of a multi-operation transaction. */
    static final int MULTI = 14;

    private final TcpProxy proxy;
    /** Requests of the armed type still to pass before the one whose reply is lost; below zero: not armed. */
    private final AtomicInteger countdown = new AtomicInteger(-1);

    private volatile int armedType;
    private volatile boolean partitionAfter;
    private volatile boolean replyLost;

    /** Relays to {@code target} ({@code HOST:PORT}). */
    ZooKeeperRelay(String target) throws IOException {
        this.proxy = new TcpProxy(target, (client, server) -> {
            Connection c = new Connection(client, server);
            TcpProxy.onThread(c::requests);
            TcpProxy.onThread(c::replies);
        });
    }

    String address() {
        return proxy.address();
    }

    /**
     * Loses the reply to the {@code nth} (from 1) request of op code {@code type} from now on, on whichever
     * connection sends it; with {@code thenPartition} the relay is then cut until {@link #heal}.
     */
    void loseReplyTo(int type, int nth, boolean thenPartition) {
        replyLost = false;
        partitionAfter = thenPartition;
        armedType = type;
        countdown.set(nth);
    }

    /** Whether the armed reply has been lost (the fault fired). */
    boolean replyLost() {
        return replyLost;
    }

    /** Passes connections again after a partition. */
    void heal() {
        proxy.heal();
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
                write(out, frame(in)); // the handshake: no xid
                while (true) {
                    byte[] frame = frame(in);
                    ByteBuffer b = ByteBuffer.wrap(frame);
                    if (frame.length >= 8
                            && b.getInt(4) == armedType
                            && countdown.get() > 0
                            && countdown.decrementAndGet() == 0) {
                        doomedXid = b.getInt(0);
                        doomed = true;
                    }
                    write(out, frame);
                }
            } catch (IOException e) {
                // a side closed
            } finally {
                proxy.drop(client, server);
            }
        }

        void replies() {
            try (DataInputStream in = new DataInputStream(server.getInputStream());
                    DataOutputStream out = new DataOutputStream(client.getOutputStream())) {
                write(out, frame(in)); // the handshake's answer: no xid
                while (true) {
                    byte[] frame = frame(in);
                    if (doomed && frame.length >= 4 && ByteBuffer.wrap(frame).getInt(0) == doomedXid) {
                        replyLost = true;
                        if (partitionAfter) {
                            proxy.cut();
                        }
                        return; // applied on the server; the client never hears of it
                    }
                    write(out, frame);
                }
            } catch (IOException e) {
                // a side closed
            } finally {
                proxy.drop(client, server);
            }
        }
    }

    private static byte[] frame(DataInputStream in) throws IOException {
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

    @Override
    public void close() throws IOException {
        proxy.close();
    }
}
