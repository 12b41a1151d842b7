package pm.common.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.common.net.GrpcTransport;

/** A real TLS server built by {@link GrpcTransport}, with the health service open to nodes only. */
class MutualTlsTest {
    @TempDir
    Path dir;

    private CertificateAuthority ca;
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void startServer() throws Exception {
        ca = CertificateAuthority.init(dir.resolve("ca"), "test CA");
        TlsFiles serverFiles = ca.issue(Role.NODE, "server", List.of("127.0.0.1", "localhost"), dir.resolve("certs"));
        AccessPolicy policy = AccessPolicy.builder()
                .service(HealthGrpc.SERVICE_NAME, Role.NODE)
                .build();
        server = GrpcTransport.tls(serverFiles)
                .server(new InetSocketAddress("127.0.0.1", 0), policy)
                .addService(new HealthStatusManager().getHealthService())
                .build()
                .start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private HealthCheckResponse check(ChannelCredentials credentials) {
        channel = Grpc.newChannelBuilder("127.0.0.1:" + server.getPort(), credentials)
                .build();
        return HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance());
    }

    private ChannelCredentials as(Role role, String name) throws Exception {
        return GrpcTransport.tls(ca.issue(role, name, List.of(), dir.resolve("certs")))
                .channelCredentials();
    }

    @Test
    void aNodeCertificateIsServed() throws Exception {
        assertThat(check(as(Role.NODE, "agent-1")).getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void anotherRoleIsDeniedNamingMethodAndRole() throws Exception {
        assertThatThrownBy(() -> check(as(Role.VIEWER, "alice")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription())
                            .contains("grpc.health.v1.Health/Check", "is for node", "alice", "role viewer");
                });
    }

    @Test
    void noClientCertificateIsUnauthenticated() throws Exception {
        ChannelCredentials trustOnly = TlsChannelCredentials.newBuilder()
                .trustManager(ca.certificateFile().toFile())
                .build();
        assertThatThrownBy(() -> check(trustOnly))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }

    @Test
    void plaintextClientIsRefused() {
        assertThatThrownBy(() -> check(InsecureChannelCredentials.create()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    @Test
    void certificateFromAnotherCaIsRefused() throws Exception {
        CertificateAuthority other = CertificateAuthority.init(dir.resolve("other-ca"), "other CA");
        TlsFiles foreign = other.issue(Role.NODE, "intruder", List.of(), dir.resolve("other-certs"));
        // It trusts our CA (so the server's certificate is fine) but presents a certificate our CA never issued.
        ChannelCredentials credentials = TlsChannelCredentials.newBuilder()
                .keyManager(foreign.cert().toFile(), foreign.key().toFile())
                .trustManager(ca.certificateFile().toFile())
                .build();
        assertThatThrownBy(() -> check(credentials))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode())
                                .isIn(Status.Code.UNAVAILABLE, Status.Code.UNAUTHENTICATED));
    }

    @Test
    void badFilesAreOneLineErrorsNamingTheFile() throws Exception {
        TlsFiles good = ca.issue(Role.OPERATOR, "op", List.of(), dir.resolve("certs"));
        Instant now = Instant.now();
        assertThat(good.check(now)).isEqualTo(new Identity("op", Role.OPERATOR));

        assertThatThrownBy(() -> new TlsFiles(good.ca(), dir.resolve("missing.pem"), good.key()).check(now))
                .hasMessage(dir.resolve("missing.pem") + ": no such certificate file");
        assertThatThrownBy(() -> good.checkRole(now, java.util.Set.of(Role.NODE)))
                .hasMessage(good.cert() + ": the certificate's role is operator; this needs node");

        TlsFiles expired = ca.issue(
                Role.NODE,
                "old",
                List.of(),
                now.minus(30, ChronoUnit.DAYS),
                now.minus(1, ChronoUnit.DAYS),
                dir.resolve("certs"));
        assertThatThrownBy(() -> expired.check(now)).hasMessageStartingWith(expired.cert() + ": expired on ");
        TlsFiles early = ca.issue(
                Role.NODE,
                "early",
                List.of(),
                now.plus(1, ChronoUnit.DAYS),
                now.plus(30, ChronoUnit.DAYS),
                dir.resolve("certs"));
        assertThatThrownBy(() -> early.check(now)).hasMessageStartingWith(early.cert() + ": not valid before ");

        TlsFiles otherKey = new TlsFiles(good.ca(), good.cert(), expired.key());
        assertThatThrownBy(() -> otherKey.check(now))
                .hasMessage(expired.key() + ": this key does not belong to the certificate in " + good.cert());
        assertThatThrownBy(() -> new TlsFiles(good.ca(), good.key(), good.key()).check(now))
                .hasMessageStartingWith(good.key() + ": ");
    }
}
