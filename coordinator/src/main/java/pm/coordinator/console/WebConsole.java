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
import pm.v1.ConsoleLoginResponse;

/**
 * The coordinator's web console: its HTTP edge. Pages ({@link ConsolePages}), live streams
 * ({@link ConsoleStreams}) and actions ({@link ConsoleActions}) are Cluster API calls made in-process
 * as the browser's session ({@link ConsoleCalls}); actions are forms posted with a CSRF token. A browser gets a
 * session only by opening a one-time login URL that an authenticated {@code ConsoleLogin} call issued
 * ({@link ConsoleSessions}); its cookie is HttpOnly, SameSite=Strict, and Secure under TLS. HTTP runs on
 * the JDK's server, on a bounded pool of daemon threads (a stream holds one while open); lifecycle
 * LATENT → STARTED → CLOSED in {@code state}.
 */
public final class WebConsole implements ConsoleLogins, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebConsole.class);
    private static final int MAX_THREADS = 32;
    /** Open event and log streams at once: each holds a thread; the rest of the pool stays for pages. */
    private static final int MAX_STREAMS = 24;

    private enum State {
        LATENT,
        STARTED,
        CLOSED
    }

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
    private ConsolePages pages;
    private ConsoleStreams live;

    /**
     * Serves on {@code bind} (port 0: any free port), over HTTPS with {@code tls} unless it is null;
     * login URLs name {@code advertised.apply(port)} ({@code host:port}).
     */
    public WebConsole(
            InetSocketAddress bind,
            IntFunction<String> advertised,
            SSLContext tls,
            ConsoleSessions sessions,
            AccessPolicy policy,
            String coordinator) {
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
        pages = new ConsolePages(calls, coordinator);
        live = new ConsoleStreams(calls);
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
            throw new StatusRuntimeException(Status.PERMISSION_DENIED.withDescription(caller.name() + " has role "
                    + caller.role().label() + " and cannot open a console as " + wanted.label()));
        }
        // Without TLS nobody is authenticated, and the Cluster API lets anyone do anything: so may the console.
        Identity who = new Identity(caller == null ? "anonymous" : caller.name(), wanted);
        ConsoleSessions.Login login = sessions.issue(who);
        LOG.info("console login issued to {} as {}, valid until {}", who.name(), wanted.label(), login.expires());
        return ConsoleLoginResponse.newBuilder()
                .setUrl(scheme() + "://" + advertised.apply(port()) + "/login?token=" + login.token())
                .setRole(wanted.label())
                .setExpiresMillis(login.expires().toEpochMilli())
                .build();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            String path = exchange.getRequestURI().getPath();
            switch (path) {
                case "/login" -> login(exchange);
                case "/static/console.js" -> resource(exchange, "console.js", "text/javascript; charset=utf-8");
                case "/static/console.css" -> resource(exchange, "console.css", "text/css; charset=utf-8");
                default -> {
                    Optional<ConsoleSession> session =
                            Exchanges.sessionCookie(exchange).flatMap(sessions::find);
                    if (session.isEmpty()) {
                        Exchanges.html(
                                exchange,
                                401,
                                Html.page(
                                        "Log in",
                                        null,
                                        coordinator,
                                        "<h1>Not logged in</h1><p>Open the "
                                                + "one-time login URL that <code>pmctl console</code> prints (it asks the Cluster API with your "
                                                + "certificate; see docs/console.md).</p>"));
                        return;
                    }
                    route(exchange, path, session.get());
                }
            }
        } catch (StatusRuntimeException e) {
            Exchanges.html(
                    exchange,
                    httpStatus(e.getStatus().getCode()),
                    Html.page(
                            "Refused",
                            null,
                            coordinator,
                            "<h1>" + text(e.getStatus().getCode().name()) + "</h1><p id=\"error\">"
                                    + text(e.getStatus().getDescription()) + "</p><p><a href=\"/\">back</a></p>"));
        } catch (IllegalArgumentException e) {
            Exchanges.html(
                    exchange,
                    400,
                    Html.page(
                            "Bad request",
                            null,
                            coordinator,
                            "<h1>Bad request</h1><p id=\"error\">" + text(e.getMessage()) + "</p>"));
        } catch (IOException e) {
            LOG.debug("console request {} ended: {}", exchange.getRequestURI().getPath(), e.toString());
            exchange.close();
        } catch (RuntimeException e) {
            LOG.warn("console request {} failed", exchange.getRequestURI().getPath(), e);
            Exchanges.html(
                    exchange,
                    500,
                    Html.page("Error", null, coordinator, "<h1>Error</h1><p>" + text(e.toString()) + "</p>"));
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
            case "/" -> Exchanges.html(exchange, 200, pages.overviewPage(session, query.get("msg")));
            case "/fragment/overview" -> Exchanges.html(exchange, 200, pages.overview(session));
            case "/process" ->
                Exchanges.html(exchange, 200, pages.processPage(session, required(query, "id"), query.get("msg")));
            case "/fragment/process" -> Exchanges.html(exchange, 200, pages.process(session, required(query, "id")));
            case "/stream/events" ->
                stream(
                        exchange,
                        () -> live.events(exchange, session, query.getOrDefault("process", ""), query.get("since")));
            case "/stream/logs" -> stream(exchange, () -> live.logs(exchange, session, required(query, "id")));
            case "/action" -> action(exchange, session);
            case "/logout" -> logout(exchange, session);
            default -> Exchanges.send(exchange, 404, "text/plain; charset=utf-8", "no such page");
        }
    }

    private void login(HttpExchange exchange) throws IOException {
        Optional<ConsoleSession> session =
                sessions.redeem(Exchanges.query(exchange).get("token"));
        if (session.isEmpty()) {
            Exchanges.html(
                    exchange,
                    401,
                    Html.page(
                            "Log in",
                            null,
                            coordinator,
                            "<h1>This login link is used or expired</h1>"
                                    + "<p>Each link opens one session, within "
                                    + ConsoleSessions.LOGIN_VALID.toMinutes()
                                    + " minutes; ask <code>pmctl console</code> for another.</p>"));
            return;
        }
        LOG.info(
                "console session opened for {} as {}",
                session.get().identity().name(),
                session.get().identity().role().label());
        exchange.getResponseHeaders()
                .add(
                        "Set-Cookie",
                        Exchanges.COOKIE + "=" + session.get().id() + "; Path=/; HttpOnly; SameSite=Strict"
                                + "; Max-Age=" + ConsoleSessions.SESSION_VALID.toSeconds()
                                + (tls == null ? "" : "; Secure"));
        Exchanges.redirect(exchange, "/");
    }

    private void logout(HttpExchange exchange, ConsoleSession session) throws IOException {
        checkCsrf(Exchanges.form(exchange), session);
        sessions.end(session.id());
        exchange.getResponseHeaders()
                .add(
                        "Set-Cookie",
                        Exchanges.COOKIE + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
                                + (tls == null ? "" : "; Secure"));
        Exchanges.html(exchange, 200, Html.page("Logged out", null, coordinator, "<h1>Logged out</h1>"));
    }

    /** One action: the CSRF token first, then the Cluster call, whose own check refuses a viewer (403). */
    private void action(HttpExchange exchange, ConsoleSession session) throws IOException {
        Map<String, String> form = Exchanges.form(exchange);
        checkCsrf(form, session);
        String done = actions.run(session, form.get("op"), form);
        LOG.info(
                "console: {} ({}) {}",
                session.identity().name(),
                session.identity().role().label(),
                done);
        String back = form.getOrDefault("back", "/");
        if (!back.startsWith("/") || back.startsWith("//") || back.contains("\\")) {
            back = "/";
        }
        Exchanges.redirect(
                exchange,
                back + (back.contains("?") ? "&" : "?") + "msg=" + URLEncoder.encode(done, StandardCharsets.UTF_8));
    }

    private static void checkCsrf(Map<String, String> form, ConsoleSession session) {
        byte[] given = form.getOrDefault("csrf", "").getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, session.csrf().getBytes(StandardCharsets.UTF_8))) {
            throw new StatusRuntimeException(Status.PERMISSION_DENIED.withDescription(
                    "the form's CSRF token is missing or wrong; " + "reload the page and try again"));
        }
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
