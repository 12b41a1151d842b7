package pm.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pm.client.ClientSettings;
import pm.client.ClusterClient;
import pm.client.ErrorCode;
import pm.client.PermissionDeniedException;
import pm.client.SpawnOptions;
import pm.client.UnauthenticatedException;
import pm.common.security.CertificateAuthority;
import pm.common.security.Role;
import pm.common.security.TlsFiles;
import pm.common.zk.ZooKeeperAccess;
import pm.deploy.DemoGuest;
import pm.deploy.LocalCluster;
import pm.v1.ClusterGrpc;
import pm.v1.DeliverRequest;
import pm.v1.NodeAgentGrpc;
import pm.v1.ProcessRef;

/**
 * The local cluster as it runs by default (mutual TLS, roles, ZooKeeper ACLs; each daemon its own JVM),
 * called by parties with the wrong certificate, no certificate, or none of the cluster's secrets.
 */
class SecureClusterTest {
    private static Path dir;
    private static LocalCluster cluster;
    private static ClusterClient operator;
    private static String processId = "secure-demo";
    private ManagedChannel channel;

    @BeforeAll
    static void startCluster() throws Exception {
        dir = Files.createTempDirectory("pm-secure");
        cluster = new LocalCluster(dir).start(List.of(0), 2);
        operator = new ClusterClient(cluster.clientSettings());
        assertThat(cluster.awaitAgentsJoined(operator, Duration.ofMinutes(2))).isTrue();
        // A long run: it must still be there when the viewer tries to kill it.
        operator.spawn(SpawnOptions.builder(DemoGuest.module(), "demo")
                .withProcessId(processId)
                .withArgs("100000", "200")
                .withEnv("DB_PASSWORD", "hunter2-in-the-env")
                .build());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (operator != null) {
            operator.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void closeChannel() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static TlsFiles issue(Role role, String name) throws Exception {
        return cluster.secrets().issue(role, name, List.of());
    }

    private static ClusterClient client(TlsFiles files) {
        return new ClusterClient(ClientSettings.of(cluster.coordinatorAddresses())
                .withCallTimeout(Duration.ofSeconds(60))
                .withTls(files.ca(), files.cert(), files.key()));
    }

    private ManagedChannel channel(String address, ChannelCredentials credentials) {
        channel = Grpc.newChannelBuilder(address, credentials).build();
        return channel;
    }

    @Test
    void aViewerListsButCannotKillOrExport() throws Exception {
        try (ClusterClient viewer = client(issue(Role.VIEWER, "viewer-1"))) {
            assertThat(viewer.list()).extracting(p -> p.getProcessId()).contains(processId);
            assertThatThrownBy(() -> viewer.kill(processId))
                    .isInstanceOfSatisfying(PermissionDeniedException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
                        assertThat(e.description()).contains("pm.v1.Cluster/Kill", "is for operator", "role viewer");
                    });
            assertThatThrownBy(() -> viewer.exportImage(processId, java.io.OutputStream.nullOutputStream(), null))
                    .isInstanceOfSatisfying(
                            PermissionDeniedException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED));
        }
        assertThat(operator.get(processId).getState().name()).doesNotContain("KILLED", "EXITED");
    }

    @Test
    void anSdkClientWithoutACertificateIsUnauthenticated() throws Exception {
        ChannelCredentials trustOnly = TlsChannelCredentials.newBuilder()
                .trustManager(cluster.operatorFiles().ca().toFile())
                .build();
        try (ClusterClient anonymous = new ClusterClient(ClientSettings.of(cluster.coordinatorAddresses())
                .withCallTimeout(Duration.ofSeconds(60))
                .withCredentials(trustOnly))) {
            assertThatThrownBy(() -> anonymous.get(processId))
                    .isInstanceOfSatisfying(
                            UnauthenticatedException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
        }
    }

    @Test
    void noCertificateIsUnauthenticatedAndPlaintextIsRefused() throws Exception {
        ChannelCredentials trustOnly = TlsChannelCredentials.newBuilder()
                .trustManager(cluster.operatorFiles().ca().toFile())
                .build();
        assertThatThrownBy(() -> ClusterGrpc.newBlockingStub(channel(cluster.coordinatorAddresses(), trustOnly))
                        .withDeadlineAfter(60, TimeUnit.SECONDS)
                        .get(ProcessRef.newBuilder().setProcessId(processId).build()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        closeChannel();
        assertThatThrownBy(() -> ClusterGrpc.newBlockingStub(
                                channel(cluster.coordinatorAddresses(), InsecureChannelCredentials.create()))
                        .withDeadlineAfter(60, TimeUnit.SECONDS)
                        .get(ProcessRef.newBuilder().setProcessId(processId).build()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    @Test
    void aCertificateFromAnotherCaIsRefused() throws Exception {
        CertificateAuthority other = CertificateAuthority.init(dir.resolve("other-ca"), "someone else's CA");
        TlsFiles foreign = other.issue(Role.OPERATOR, "mallory", List.of(), dir.resolve("other-ca"));
        ChannelCredentials credentials = TlsChannelCredentials.newBuilder()
                .keyManager(foreign.cert().toFile(), foreign.key().toFile())
                .trustManager(cluster.operatorFiles().ca().toFile())
                .build();
        assertThatThrownBy(() -> ClusterGrpc.newBlockingStub(channel(cluster.coordinatorAddresses(), credentials))
                        .withDeadlineAfter(60, TimeUnit.SECONDS)
                        .kill(ProcessRef.newBuilder().setProcessId(processId).build()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode())
                                .isIn(Status.Code.UNAVAILABLE, Status.Code.UNAUTHENTICATED));
        assertThat(operator.get(processId).getState().name()).doesNotContain("KILLED", "EXITED");
    }

    @Test
    void anOperatorCannotCallAgentsDirectlyNorForgeADelivery() throws Exception {
        String agent = operator.nodes().get(0).getRecord().getAddress();
        NodeAgentGrpc.NodeAgentBlockingStub stub = NodeAgentGrpc.newBlockingStub(
                        channel(agent, cluster.operatorFiles().channelCredentials()))
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        assertThatThrownBy(() -> stub.kill(
                        ProcessRef.newBuilder().setProcessId(processId).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription())
                            .contains("pm.v1.NodeAgent/Kill", "is for node", "role operator");
                });
        // A forged message with a huge sequence number would make the receiver drop the sender's real ones as
        // duplicates.
        assertThatThrownBy(() -> stub.deliver(DeliverRequest.newBuilder().build()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        assertThat(operator.get(processId).getState().name()).doesNotContain("KILLED", "EXITED");
    }

    @Test
    void aNodeCertificateWithoutTheEpochCannotActOnAProcess() throws Exception {
        TlsFiles node = issue(Role.NODE, "rogue-node");
        String agent = operator.get(processId).getNode();
        String address = operator.nodes().stream()
                .filter(n -> n.getRecord().getName().equals(agent))
                .findFirst()
                .orElseThrow()
                .getRecord()
                .getAddress();
        NodeAgentGrpc.NodeAgentBlockingStub stub = NodeAgentGrpc.newBlockingStub(
                        channel(address, node.channelCredentials()))
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        assertThatThrownBy(() -> stub.kill(
                        ProcessRef.newBuilder().setProcessId(processId).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription()).contains("pm-epoch");
                });
        // An old epoch is refused too (the record's epoch is at least 1, and the agent has seen it).
        Metadata stale = new Metadata();
        stale.put(Metadata.Key.of("pm-epoch", Metadata.ASCII_STRING_MARSHALLER), "0");
        assertThatThrownBy(() -> stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(stale))
                        .kill(ProcessRef.newBuilder().setProcessId(processId).build()))
                .isInstanceOf(StatusRuntimeException.class);
        assertThat(operator.get(processId).getState().name()).doesNotContain("KILLED", "EXITED");
    }

    @Test
    void aZooKeeperClientWithoutTheSecretCannotReadOrChangeTheTree() throws Exception {
        String record = "/pm/processes/" + processId;
        try (CuratorFramework stranger =
                CuratorFrameworkFactory.newClient(cluster.zookeeperAddress(), new RetryOneTime(100))) {
            stranger.start();
            assertThat(stranger.blockUntilConnected(60, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(() -> stranger.checkExists().forPath(record))
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> stranger.getData().forPath(record))
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> stranger.setData().forPath(record, new byte[0]))
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> stranger.delete().forPath(record))
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> stranger.create().forPath("/pm/processes/forged", new byte[0]))
                    .isInstanceOf(KeeperException.NoAuthException.class);
        }
        try (CuratorFramework member = ZooKeeperAccess.fromFile(
                        cluster.secrets().zookeeperSecret())
                .newClient(cluster.zookeeperAddress(), 30_000, 30_000, new RetryOneTime(100))) {
            member.start();
            assertThat(member.blockUntilConnected(60, TimeUnit.SECONDS)).isTrue();
            byte[] stored = member.getData().forPath(record);
            assertThat(new String(stored, java.nio.charset.StandardCharsets.ISO_8859_1))
                    .contains(processId)
                    .doesNotContain("hunter2-in-the-env"); // members read records; environments stay sealed in them
        }
        assertThat(operator.get(processId).getNode()).isNotEmpty();
    }
}
