package pm.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.coordinator.migration.MigrationObserver;
import pm.v1.ClusterGrpc;
import pm.v1.ClusterSpawnRequest;
import pm.v1.ConsoleLoginRequest;
import pm.v1.ConsoleLoginResponse;
import pm.v1.ProcessRef;
import pm.v1.ProcessState;

/**
 * The web console's HTTP edge on a real coordinator (plaintext, as {@code --insecure} runs it): login URLs,
 * sessions, CSRF tokens, the role check on actions, escaping. The browser's view is deploy's ConsoleBrowserTest.
 */
class ConsoleHttpTest {
    private static final Pattern CSRF = Pattern.compile("name=\"pm-csrf\" content=\"([^\"]+)\"");

    @TempDir
    Path dir;

    private ClusterFixture cluster;
    private ClusterGrpc.ClusterBlockingStub api;
    private final HttpClient http = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(30))
            .build();

    @BeforeEach
    void start() throws Exception {
        cluster = new ClusterFixture(dir).agents("a");
        cluster.coordinator("c1", MigrationObserver.NONE, c -> c.withConsolePort(0));
        api = cluster.cluster();
        ClusterSpawnRequest spawn = ClusterApiTest.spawn("p1", "a");
        api.spawn(spawn.toBuilder()
                .setSpec(spawn.getSpec().toBuilder().putLabels("note", "<script>alert(1)</script>"))
                .build());
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private record Session(String cookie, String csrf, String base) {}

    private Session logIn(String role) throws Exception {
        ConsoleLoginResponse login =
                api.consoleLogin(ConsoleLoginRequest.newBuilder().setRole(role).build());
        URI url = URI.create(login.getUrl());
        HttpResponse<String> opened = get(url, null);
        assertThat(opened.statusCode()).isEqualTo(303);
        String cookie = opened.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        String base = url.getScheme() + "://" + url.getAuthority();
        Matcher m = CSRF.matcher(get(URI.create(base + "/"), cookie).body());
        assertThat(m.find()).isTrue();
        return new Session(cookie, m.group(1), base);
    }

    private HttpResponse<String> get(URI uri, String cookie) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60));
        if (cookie != null) {
            r.header("Cookie", cookie);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(Session s, String form) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(s.base() + "/action"))
                        .timeout(Duration.ofSeconds(60))
                        .header("Cookie", s.cookie())
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private ProcessState state() {
        return api.get(ProcessRef.newBuilder().setProcessId("p1").build()).getState();
    }

    @Test
    void aLoginUrlOpensOneSessionWithAnHttpOnlyStrictCookie() throws Exception {
        ConsoleLoginResponse login = api.consoleLogin(ConsoleLoginRequest.getDefaultInstance());
        assertThat(login.getRole())
                .isEqualTo("operator"); // without TLS the API lets anyone act, and so does the console
        assertThat(login.getUrl()).startsWith("http://127.0.0.1:");

        HttpResponse<String> first = get(URI.create(login.getUrl()), null);
        assertThat(first.statusCode()).isEqualTo(303);
        assertThat(first.headers().firstValue("Set-Cookie").orElseThrow())
                .contains("HttpOnly", "SameSite=Strict")
                .doesNotContain("Secure");
        assertThat(get(URI.create(login.getUrl()), null).statusCode())
                .as("second use")
                .isEqualTo(401);
    }

    @Test
    void pagesAndStreamsNeedASession() throws Exception {
        Session s = logIn("");
        for (String path : new String[] {"/", "/fragment/overview", "/process?id=p1", "/stream/events"}) {
            assertThat(get(URI.create(s.base() + path), null).statusCode())
                    .as(path)
                    .isEqualTo(401);
            assertThat(get(URI.create(s.base() + path), "pm_console=made-up").statusCode())
                    .as(path)
                    .isEqualTo(401);
        }
        assertThat(get(URI.create(s.base() + "/fragment/overview"), s.cookie()).body())
                .contains("data-process=\"p1\"");
    }

    @Test
    void anActionWithoutTheSessionsCsrfTokenIsRefused() throws Exception {
        Session s = logIn("");

        assertThat(post(s, "op=freeze&process=p1").statusCode()).isEqualTo(403);
        assertThat(post(s, "op=freeze&process=p1&csrf=wrong").statusCode()).isEqualTo(403);
        assertThat(state()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);

        HttpResponse<String> done =
                post(s, "op=freeze&process=p1&csrf=" + URLEncoder.encode(s.csrf(), StandardCharsets.UTF_8));
        assertThat(done.statusCode()).isEqualTo(303);
        assertThat(done.headers().firstValue("Location").orElseThrow()).startsWith("/?msg=froze+p1");
        assertThat(state()).isEqualTo(ProcessState.PROCESS_STATE_FROZEN);
    }

    @Test
    void aViewerSessionsActionIsRefusedByTheClusterApisOwnTable() throws Exception {
        Session viewer = logIn("viewer");
        assertThat(get(URI.create(viewer.base() + "/"), viewer.cookie()).body()).doesNotContain("data-action=");

        HttpResponse<String> refused =
                post(viewer, "op=freeze&process=p1&csrf=" + URLEncoder.encode(viewer.csrf(), StandardCharsets.UTF_8));

        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("pm.v1.Cluster/Freeze is for operator; anonymous has role viewer");
        assertThat(state()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
    }

    @Test
    void whatTheClusterSaysIsEscaped() throws Exception {
        Session s = logIn("");

        String page = get(URI.create(s.base() + "/process?id=p1"), s.cookie()).body();

        assertThat(page).contains("&lt;script&gt;alert(1)&lt;/script&gt;").doesNotContain("<script>alert(1)");
    }

    @Test
    void aCoordinatorWithoutAConsoleRefusesConsoleLogin() throws Exception {
        CoordinatorServer plain = cluster.coordinator("c2");
        assertThat(plain.consolePort()).isEqualTo(-1);
        cluster.leader().close(); // c2 leads next, and serves no console
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(plain::isLeader);

        StatusRuntimeException e = catchThrowableOfType(
                StatusRuntimeException.class,
                () -> cluster.cluster(plain).consoleLogin(ConsoleLoginRequest.getDefaultInstance()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(e.getStatus().getDescription()).contains("--console-port");
    }
}
