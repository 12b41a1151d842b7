package pm.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import pm.v1.ClusterGrpc;
import pm.v1.LeaderRequest;

/** The launch contract: one line when serving, leads alone, serves metrics, exits when its stdin closes. */
class CoordinatorMainTest {
    @Test
    void printsOneLineServesAndExitsWithItsStdin() throws Exception {
        try (TestingServer zk = new TestingServer(true);
                java.net.ServerSocket free =
                        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int metricsPort = free.getLocalPort();
            free.close();
            Process p = new ProcessBuilder(List.of(
                            Paths.get(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-cp",
                            System.getProperty("java.class.path"),
                            CoordinatorMain.class.getName(),
                            "--zookeeper",
                            zk.getConnectString(),
                            "--zk-root",
                            "/test",
                            "--name",
                            "c9",
                            "--metrics-port",
                            Integer.toString(metricsPort),
                            "--exit-with-stdin",
                            "--insecure"))
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try {
                BufferedReader out =
                        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                Matcher line = Pattern.compile("coordinator c9 listening on (127\\.0\\.0\\.1:\\d+) metrics (\\d+)")
                        .matcher(String.valueOf(out.readLine()));
                assertThat(line.matches()).as("the first line").isTrue();
                assertThat(Integer.parseInt(line.group(2)))
                        .as("the metrics port it names")
                        .isEqualTo(metricsPort);

                ManagedChannel channel = NettyChannelBuilder.forTarget(line.group(1))
                        .usePlaintext()
                        .build();
                try {
                    var stub = ClusterGrpc.newBlockingStub(channel);
                    org.awaitility.Awaitility.await()
                            .atMost(java.time.Duration.ofSeconds(30))
                            .until(() -> stub.withDeadlineAfter(5, TimeUnit.SECONDS)
                                    .leader(LeaderRequest.getDefaultInstance())
                                    .getIsLeader());
                    assertThat(stub.leader(LeaderRequest.getDefaultInstance()).getLeaderAddress())
                            .isEqualTo(line.group(1));
                } finally {
                    channel.shutdownNow();
                }
                String metrics = HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
                assertThat(metrics).contains("pm_cluster_nodes");

                p.getOutputStream().close();
                assertThat(p.waitFor(30, TimeUnit.SECONDS))
                        .as("exits when stdin closes")
                        .isTrue();
                assertThat(out.readLine()).as("nothing more on stdout").isNull();
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
