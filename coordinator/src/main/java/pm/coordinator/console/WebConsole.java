package pm.coordinator.console;

import static pm.coordinator.console.Html.text;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.common.security.AccessPolicy;
import pm.common.security.Identity;
import pm.common.security.Role;
import pm.v1.ClusterEvent;
import pm.v1.ClusterListRequest;
import pm.v1.ClusterProcess;
import pm.v1.ConsoleLoginResponse;
import pm.v1.EventsRequest;
import pm.v1.LogChunk;
import pm.v1.LogsRequest;
import pm.v1.NodesRequest;
import pm.v1.ProcessRef;

/**
 * The coordinator's web console: pages rendered here from Cluster API calls made in-process as the
 * browser's session ({@link ConsoleCalls}), tables refreshed by a small script, events and logs
 * streamed as Server-Sent Events, and four actions posted as forms with a CSRF token. A browser gets a
 * session only by opening a one-time login URL that an authenticated {@code ConsoleLogin} call issued
 * ({@link ConsoleSessions}); its cookie is HttpOnly, SameSite=Strict, and Secure under TLS. HTTP runs on
 * the JDK's server, on a bounded pool of daemon threads (a stream holds one while open); lifecycle
 * LATENT → STARTED → CLOSED in {@code state}.
 */
public final class WebConsole implements ConsoleLogins, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebConsole.class);
    private static final Duration READ_DEADLINE = Duration.ofSeconds(30);
    private static final int MAX_THREADS = 32;
    /** Open event and log streams at once: each holds a thread; the rest of the pool stays for pages. */
    private static final int MAX_STREAMS = 24;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    private enum State { LATENT, STARTED, CLOSED }

    private final InetSocketAddress bind;
    private final IntFunction<String> advertised;
    private final SSLContext tls;
    private final ConsoleSessions sessions;
    private final AccessPolicy policy;
    private final String coordinator;
    private final Semaphore streams = new Semaphore(MAX_STREAMS);
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private ExecutorService threads;
    private HttpServer http;
    private ConsoleCalls calls;
    private ConsoleActions actions;

    /**
     * Serves on {@code bind} (port 0: any free port), over HTTPS with {@code tls} unless it is null;
     * login URLs name {@code advertised.apply(port)} ({@code host:port}).
     */
    public WebConsole(InetSocketAddress bind, IntFunction<String> advertised, SSLContext tls, ConsoleSessions sessions,
            AccessPolicy policy, String coordinator) {
        this.bind = bind;
        this.advertised = advertised;
        this.tls = tls;
        this.sessions = sessions;
        this.policy = policy;
        this.coordinator = coordinator;
    }

    /** Starts serving, with {@code cluster} (the Cluster service as the network server runs it) for every read and action. */
    public WebConsole start(ServerServiceDefinition cluster) throws IOException {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("the console was started already");
        }
        calls = new ConsoleCalls(cluster, sessions, policy);
        actions = new ConsoleActions(calls);
        threads = new ThreadPoolExecutor(2, MAX_THREADS, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "pm-console-http");
            t.setDaemon(true);
            return t;
        });
        if (tls == null) {
            http = HttpServer.create(bind, 0);
        } else {
            HttpsServer https = HttpsServer.create(bind, 0);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            http = https;
        }
        http.setExecutor(threads);
        http.createContext("/", this::handle);
        http.start();
        LOG.info("web console at {}://{}/", scheme(), advertised.apply(port()));
        return this;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    private String scheme() {
        return tls == null ? "http" : "https";
    }

    @Override
    public ConsoleLoginResponse issue(Identity caller, String role) {
        if (state.get() != State.STARTED) {
            throw new StatusRuntimeException(Status.UNAVAILABLE.withDescription("the web console is not serving"));
        }
        Role wanted = role.isEmpty() ? (caller == null ? Role.OPERATOR : caller.role()) : Role.of(role);
        if (wanted == Role.NODE) {
            throw new IllegalArgumentException("a console session is for an operator or a viewer, not a node");
        }
        if (caller != null && wanted != caller.role() && wanted != Role.VIEWER) {
            throw new StatusRuntimeException(Status.PERMISSION_DENIED.withDescription(
                    caller.name() + " has role " + caller.role().label() + " and cannot open a console as " + wanted.label()));
        }
        // Without TLS nobody is authenticated, and the Cluster API lets anyone do anything: so may the console.
        Identity who = new Identity(caller == null ? "anonymous" : caller.name(), wanted);
        ConsoleSessions.Login login = sessions.issue(who);
        LOG.info("console login issued to {} as {}, valid until {}", who.name(), wanted.label(), login.expires());
        return ConsoleLoginResponse.newBuilder().setUrl(scheme() + "://" + advertised.apply(port()) + "/login?token=" + login.token())
                .setRole(wanted.label()).setExpiresMillis(login.expires().toEpochMilli()).build();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            String path = exchange.getRequestURI().getPath();
            switch (path) {
                case "/login" -> login(exchange);
                case "/static/console.js" -> resource(exchange, "console.js", "text/javascript; charset=utf-8");
                case "/static/console.css" -> resource(exchange, "console.css", "text/css; charset=utf-8");
                default -> {
                    Optional<ConsoleSession> session = Exchanges.sessionCookie(exchange).flatMap(sessions::find);
                    if (session.isEmpty()) {
                        Exchanges.html(exchange, 401, Html.page("Log in", null, coordinator, "<h1>Not logged in</h1><p>Open the "
                                + "one-time login URL that <code>pmctl console</code> prints (it asks the Cluster API with your "
                                + "certificate; see docs/console.md).</p>"));
                        return;
                    }
                    route(exchange, path, session.get());
                }
            }
        } catch (StatusRuntimeException e) {
            Exchanges.html(exchange, httpStatus(e.getStatus().getCode()), Html.page("Refused", null, coordinator,
                    "<h1>" + text(e.getStatus().getCode().name()) + "</h1><p id=\"error\">" + text(e.getStatus().getDescription())
                            + "</p><p><a href=\"/\">back</a></p>"));
        } catch (IllegalArgumentException e) {
            Exchanges.html(exchange, 400, Html.page("Bad request", null, coordinator,
                    "<h1>Bad request</h1><p id=\"error\">" + text(e.getMessage()) + "</p>"));
        } catch (IOException e) {
            LOG.debug("console request {} ended: {}", exchange.getRequestURI().getPath(), e.toString());
            exchange.close();
        } catch (RuntimeException e) {
            LOG.warn("console request {} failed", exchange.getRequestURI().getPath(), e);
            Exchanges.html(exchange, 500, Html.page("Error", null, coordinator, "<h1>Error</h1><p>" + text(e.toString()) + "</p>"));
        }
    }

    private void route(HttpExchange exchange, String path, ConsoleSession session) throws IOException {
        boolean post = exchange.getRequestMethod().equals("POST");
        if (post != (path.equals("/action") || path.equals("/logout"))) {
            Exchanges.send(exchange, 405, "text/plain; charset=utf-8", "method not allowed");
            return;
        }
        Map<String, String> query = Exchanges.query(exchange);
        switch (path) {
            case "/" -> Exchanges.html(exchange, 200, overviewPage(session, query.get("msg")));
            case "/fragment/overview" -> Exchanges.html(exchange, 200, overview(session));
            case "/process" -> Exchanges.html(exchange, 200, processPage(session, required(query, "id"), query.get("msg")));
            case "/fragment/process" -> Exchanges.html(exchange, 200, ClusterViews.process(
                    calls.blocking(session, READ_DEADLINE).get(ProcessRef.newBuilder().setProcessId(required(query, "id")).build()),
                    operator(session)));
            case "/stream/events" -> stream(exchange, () -> events(exchange, session, query));
            case "/stream/logs" -> stream(exchange, () -> logs(exchange, session, required(query, "id")));
            case "/action" -> action(exchange, session);
            case "/logout" -> logout(exchange, session);
            default -> Exchanges.send(exchange, 404, "text/plain; charset=utf-8", "no such page");
        }
    }

    private void login(HttpExchange exchange) throws IOException {
        Optional<ConsoleSession> session = sessions.redeem(Exchanges.query(exchange).get("token"));
        if (session.isEmpty()) {
            Exchanges.html(exchange, 401, Html.page("Log in", null, coordinator, "<h1>This login link is used or expired</h1>"
                    + "<p>Each link opens one session, within " + ConsoleSessions.LOGIN_VALID.toMinutes()
                    + " minutes; ask <code>pmctl console</code> for another.</p>"));
            return;
        }
        LOG.info("console session opened for {} as {}", session.get().identity().name(), session.get().identity().role().label());
        exchange.getResponseHeaders().add("Set-Cookie", Exchanges.COOKIE + "=" + session.get().id() + "; Path=/; HttpOnly; SameSite=Strict"
                + "; Max-Age=" + ConsoleSessions.SESSION_VALID.toSeconds() + (tls == null ? "" : "; Secure"));
        Exchanges.redirect(exchange, "/");
    }

    private void logout(HttpExchange exchange, ConsoleSession session) throws IOException {
        checkCsrf(Exchanges.form(exchange), session);
        sessions.end(session.id());
        exchange.getResponseHeaders().add("Set-Cookie", Exchanges.COOKIE + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
                + (tls == null ? "" : "; Secure"));
        Exchanges.html(exchange, 200, Html.page("Logged out", null, coordinator, "<h1>Logged out</h1>"));
    }

    /** One action: the CSRF token first, then the Cluster call, whose own check refuses a viewer (403). */
    private void action(HttpExchange exchange, ConsoleSession session) throws IOException {
        Map<String, String> form = Exchanges.form(exchange);
        checkCsrf(form, session);
        String done = actions.run(session, form.get("op"), form);
        LOG.info("console: {} ({}) {}", session.identity().name(), session.identity().role().label(), done);
        String back = form.getOrDefault("back", "/");
        if (!back.startsWith("/") || back.startsWith("//") || back.contains("\\")) {
            back = "/";
        }
        Exchanges.redirect(exchange, back + (back.contains("?") ? "&" : "?") + "msg=" + URLEncoder.encode(done, StandardCharsets.UTF_8));
    }

    private static void checkCsrf(Map<String, String> form, ConsoleSession session) {
        byte[] given = form.getOrDefault("csrf", "").getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, session.csrf().getBytes(StandardCharsets.UTF_8))) {
            throw new StatusRuntimeException(Status.PERMISSION_DENIED.withDescription("the form's CSRF token is missing or wrong; "
                    + "reload the page and try again"));
        }
    }

    private String overviewPage(ConsoleSession session, String msg) {
        return Html.page("Cluster", session, coordinator, flash(msg)
                + "<section id=\"overview\" data-refresh=\"/fragment/overview\">" + overviewOrError(session) + "</section>"
                + "<section><h2>Events</h2><ol id=\"events\" class=\"events\" data-events=\"/stream/events\"></ol></section>"
                + dialog(session, "/"));
    }

    private String overviewOrError(ConsoleSession session) {
        try {
            return overview(session);
        } catch (StatusRuntimeException e) {
            return "<p class=\"error\">" + text(e.getStatus().getCode() + ": " + e.getStatus().getDescription()) + "</p>";
        }
    }

    private String overview(ConsoleSession session) {
        var cluster = calls.blocking(session, READ_DEADLINE);
        return ClusterViews.overview(cluster.nodes(NodesRequest.getDefaultInstance()).getNodesList(),
                cluster.list(ClusterListRequest.getDefaultInstance()).getProcessesList().stream()
                        .sorted(java.util.Comparator.comparing(ClusterProcess::getProcessId)).toList(), operator(session));
    }

    private String processPage(ConsoleSession session, String id, String msg) {
        ClusterProcess p = calls.blocking(session, READ_DEADLINE).get(ProcessRef.newBuilder().setProcessId(id).build());
        String query = URLEncoder.encode(id, StandardCharsets.UTF_8);
        return Html.page("Process " + id, session, coordinator, "<h1>Process " + text(id) + "</h1>" + flash(msg)
                + "<section id=\"detail\" data-refresh=\"/fragment/process?id=" + text(query) + "\">" + ClusterViews.process(p, operator(session))
                + "</section><section><h2>Migration history</h2><ol id=\"migration-history\" class=\"events\"></ol></section>"
                + "<section><h2>Log</h2><pre id=\"log\" data-log=\"/stream/logs?id=" + text(query) + "\"></pre></section>"
                + "<section><h2>Events</h2><ol id=\"process-events\" class=\"events\" data-events=\"/stream/events?since=0&amp;process="
                + text(query) + "\" data-history=\"migration-history\"></ol></section>" + dialog(session, "/process?id=" + query));
    }

    /** The confirmation step every action button opens; for operators only (a viewer's page has no buttons to open it). */
    private static String dialog(ConsoleSession session, String back) {
        if (!operator(session)) {
            return "";
        }
        return "<dialog id=\"confirm\"><form method=\"post\" action=\"/action\"><p id=\"confirm-text\"></p>"
                + "<input type=\"hidden\" name=\"csrf\" value=\"" + text(session.csrf()) + "\">"
                + "<input type=\"hidden\" name=\"op\"><input type=\"hidden\" name=\"process\"><input type=\"hidden\" name=\"node\">"
                + "<input type=\"hidden\" name=\"back\" value=\"" + text(back) + "\">"
                + "<label id=\"confirm-target\">target node (empty: placement picks) <input name=\"target\"></label>"
                + "<p><button type=\"submit\" id=\"confirm-ok\">Confirm</button> <button type=\"button\" id=\"confirm-cancel\">Cancel</button></p>"
                + "</form></dialog>";
    }

    private static String flash(String msg) {
        return msg == null || msg.isEmpty() ? "" : "<p id=\"flash\">" + text(msg) + "</p>";
    }

    private static boolean operator(ConsoleSession session) {
        return session.identity().role() == Role.OPERATOR;
    }

    /** Cluster events: all, or one process's; resumed after the browser's last index when it reconnects. */
    private void events(HttpExchange exchange, ConsoleSession session, Map<String, String> query) throws IOException {
        EventsRequest.Builder request = EventsRequest.newBuilder().setProcessId(query.getOrDefault("process", ""));
        String last = exchange.getRequestHeaders().getFirst("Last-Event-ID");
        String since = last != null && !last.isEmpty() ? last : query.get("since");
        if (since != null) {
            request.setSinceIndex(Long.parseLong(since));
        }
        SseRelay.<EventsRequest, ClusterEvent>relay(exchange, o -> calls.streaming(session).events(request.build(), o), e -> new SseRelay.Message(
                "cluster", e.getIndex() == 0 ? "" : Long.toString(e.getIndex()), String.join("\t",
                        TIME.format(Instant.ofEpochMilli(e.getTimeMillis())),
                        e.getKind().name().substring("KIND_".length()).toLowerCase(java.util.Locale.ROOT), e.getProcessId(),
                        e.getNode(), Long.toString(e.getEpoch()), e.getDetail().replace('\t', ' '))));
    }

    /** A process's output, followed across migrations; resumed at the browser's last offset when it reconnects. */
    private void logs(HttpExchange exchange, ConsoleSession session, String id) throws IOException {
        String last = exchange.getRequestHeaders().getFirst("Last-Event-ID");
        LogsRequest request = LogsRequest.newBuilder().setProcessId(id).setFollow(true)
                .setFromOffset(last == null || last.isEmpty() ? 0 : Long.parseLong(last)).build();
        SseRelay.<LogsRequest, LogChunk>relay(exchange, o -> calls.streaming(session).logs(request, o), c -> new SseRelay.Message("log",
                Long.toString(c.getOffset() + c.getData().size()), c.getData().toString(StandardCharsets.UTF_8)));
    }

    private interface Streaming {
        void run() throws IOException;
    }

    private void stream(HttpExchange exchange, Streaming body) throws IOException {
        if (!streams.tryAcquire()) {
            Exchanges.send(exchange, 503, "text/plain; charset=utf-8", "too many console streams open");
            return;
        }
        try {
            body.run();
        } finally {
            streams.release();
        }
    }

    private static String required(Map<String, String> query, String name) {
        String value = query.get(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("the request has no " + name);
        }
        return value;
    }

    private void resource(HttpExchange exchange, String name, String type) throws IOException {
        try (InputStream in = WebConsole.class.getResourceAsStream(name)) {
            if (in == null) {
                Exchanges.send(exchange, 404, "text/plain; charset=utf-8", "no " + name);
                return;
            }
            Exchanges.send(exchange, 200, type, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** The one mapping of Cluster API statuses to HTTP statuses. */
    static int httpStatus(Status.Code code) {
        return switch (code) {
            case PERMISSION_DENIED -> 403;
            case UNAUTHENTICATED -> 401;
            case NOT_FOUND -> 404;
            case INVALID_ARGUMENT -> 400;
            case FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS -> 409;
            case RESOURCE_EXHAUSTED -> 429;
            case UNAVAILABLE -> 503;
            case DEADLINE_EXCEEDED -> 504;
            default -> 500;
        };
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) != State.STARTED) {
            return;
        }
        http.stop(0);
        calls.close();
        threads.shutdownNow();
    }
}
