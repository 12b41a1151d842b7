package pm.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy relays bytes, and cuts, stalls, heals and drops a reply as its callers rely on. */
class TcpProxyTest {
    private ServerSocket echo;

    @BeforeEach
    void startEcho() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        TcpProxy.onThread(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    TcpProxy.onThread(() -> {
                        try (s;
                                InputStream in = s.getInputStream();
                                OutputStream out = s.getOutputStream()) {
                            for (int b; (b = in.read()) >= 0; ) {
                                out.write(b);
                            }
                        } catch (IOException e) {
                            // closed
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    @AfterEach
    void stopEcho() throws IOException {
        echo.close();
    }

    private String target() {
        return "127.0.0.1:" + echo.getLocalPort();
    }

    private static Socket connect(TcpProxy proxy) throws IOException {
        String address = proxy.address();
        int colon = address.lastIndexOf(':');
        Socket s = new Socket(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
        s.setSoTimeout((int) Duration.ofMinutes(1).toMillis());
        return s;
    }

    /** Sends one byte and returns the echo, or -1 if the connection ended. */
    private static int roundTrip(Socket s, int b) throws IOException {
        s.getOutputStream().write(b);
        return s.getInputStream().read();
    }

    @Test
    void relaysBothWays() throws IOException {
        try (TcpProxy proxy = new TcpProxy(target());
                Socket s = connect(proxy)) {
            assertThat(roundTrip(s, 7)).isEqualTo(7);
        }
    }

    @Test
    void cutDropsConnectionsUntilHealed() throws IOException {
        try (TcpProxy proxy = new TcpProxy(target())) {
            try (Socket s = connect(proxy)) {
                assertThat(roundTrip(s, 1)).isEqualTo(1);
                proxy.cut();
                assertThat(s.getInputStream().read())
                        .as("the open connection is dropped")
                        .isEqualTo(-1);
            }
            try (Socket s = connect(proxy)) {
                assertThat(s.getInputStream().read())
                        .as("a new one is closed at once")
                        .isEqualTo(-1);
            }
            proxy.heal();
            try (Socket s = connect(proxy)) {
                assertThat(roundTrip(s, 2)).isEqualTo(2);
            }
        }
    }

    @Test
    void stallHoldsBytesUntilHealed() throws IOException {
        try (TcpProxy proxy = new TcpProxy(target());
                Socket s = connect(proxy)) {
            assertThat(roundTrip(s, 1)).isEqualTo(1);
            proxy.stall();
            s.getOutputStream().write(2);
            s.setSoTimeout(300);
            try {
                int got = s.getInputStream().read();
                throw new AssertionError("a stalled proxy passed " + got);
            } catch (SocketTimeoutException expected) {
                // nothing went through, and the connection stays open
            }
            proxy.heal();
            s.setSoTimeout((int) Duration.ofMinutes(1).toMillis());
            assertThat(s.getInputStream().read()).isEqualTo(2);
        }
    }

    @Test
    void dropNextReplyBreaksTheConnectionAfterTheTargetGotTheRequest() throws IOException {
        try (TcpProxy proxy = new TcpProxy(target());
                Socket s = connect(proxy)) {
            proxy.dropNextReply();
            assertThat(proxy.replyDropped()).isFalse();
            assertThat(roundTrip(s, 3)).as("the reply never arrives").isEqualTo(-1);
            await().atMost(Duration.ofMinutes(2)).until(proxy::replyDropped);
        }
    }

    @Test
    void aRelayOfTheCallersCarriesTheConnection() throws IOException {
        try (TcpProxy proxy = new TcpProxy(target(), (client, server) -> {
                    TcpProxy.onThread(() -> pipe(client, server, 1));
                    TcpProxy.onThread(() -> pipe(server, client, 0));
                });
                Socket s = connect(proxy)) {
            assertThat(roundTrip(s, 4)).as("the relay added one on the way in").isEqualTo(5);
        }
    }

    private static void pipe(Socket from, Socket to, int add) {
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            for (int b; (b = in.read()) >= 0; ) {
                out.write(b + add);
            }
        } catch (IOException e) {
            // closed
        }
    }
}
