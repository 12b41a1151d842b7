package pm.coordinator.console;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Small reading and answering helpers over the JDK's {@link HttpExchange}, with the headers every console answer carries. */
final class Exchanges {
    static final String COOKIE = "pm_console";
    /** Forms the console posts are a few fields; anything larger is not one of them. */
    private static final int MAX_FORM_BYTES = 16 * 1024;

    private Exchanges() {}

    /** The decoded query parameters of the request (the first of each name). */
    static Map<String, String> query(HttpExchange exchange) {
        return decode(exchange.getRequestURI().getRawQuery());
    }

    /** The decoded form fields of a POST (application/x-www-form-urlencoded), at most {@value #MAX_FORM_BYTES} bytes. */
    static Map<String, String> form(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_FORM_BYTES + 1);
            if (body.length > MAX_FORM_BYTES) {
                throw new IOException("form larger than " + MAX_FORM_BYTES + " bytes");
            }
            return decode(new String(body, StandardCharsets.UTF_8));
        }
    }

    private static Map<String, String> decode(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.putIfAbsent(name, value);
        }
        return out;
    }

    /** The console's session cookie, if the request carries one. */
    static Optional<String> sessionCookie(HttpExchange exchange) {
        for (String header : exchange.getRequestHeaders().getOrDefault("Cookie", java.util.List.of())) {
            for (String part : header.split(";")) {
                String p = part.trim();
                if (p.startsWith(COOKIE + "=")) {
                    return Optional.of(p.substring(COOKIE.length() + 1));
                }
            }
        }
        return Optional.empty();
    }

    /** Headers for everything the console sends: nothing cached, nothing framed, no inline script, no referrer. */
    static void secure(HttpExchange exchange) {
        var h = exchange.getResponseHeaders();
        h.set("Cache-Control", "no-store");
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "no-referrer");
        h.set("X-Frame-Options", "DENY");
        h.set(
                "Content-Security-Policy",
                "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
    }

    static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        secure(exchange);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        exchange.close();
    }

    static void html(HttpExchange exchange, int status, String body) throws IOException {
        send(exchange, status, "text/html; charset=utf-8", body);
    }

    /** 303 to {@code location} (a path of this console). */
    static void redirect(HttpExchange exchange, String location) throws IOException {
        secure(exchange);
        exchange.getResponseHeaders().set("Location", location);
        exchange.sendResponseHeaders(303, -1);
        exchange.close();
    }
}
