package pm.coordinator.console;

/**
 * HTML text the console writes: {@link #text} escapes everything that comes from the cluster (ids, log
 * lines, details, error messages), so none of it is ever markup; {@link #page} is the shell every
 * page shares. Stateless.
 */
final class Html {
    private Html() {}

    /** {@code value} as HTML text or attribute value (quoted): &amp;, &lt;, &gt;, quotes escaped. */
    static String text(String value) {
        if (value == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(value.length() + 16);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A whole page: title, who is signed in, the CSRF token for scripts, and {@code body} (already HTML). */
    static String page(String title, ConsoleSession session, String coordinator, String body) {
        StringBuilder out = new StringBuilder(4096);
        out.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(text(title))
                .append(" · pm console</title><link rel=\"stylesheet\" href=\"/static/console.css\">");
        if (session != null) {
            out.append("<meta name=\"pm-csrf\" content=\"")
                    .append(text(session.csrf()))
                    .append("\">");
        }
        out.append(
                        "<script src=\"/static/console.js\" defer></script></head><body><header><a href=\"/\" class=\"brand\">pm console</a>")
                .append("<span>coordinator ")
                .append(text(coordinator))
                .append("</span>");
        if (session != null) {
            out.append("<span id=\"who\" data-role=\"")
                    .append(text(session.identity().role().label()))
                    .append("\">")
                    .append(text(session.identity().name()))
                    .append(" (")
                    .append(text(session.identity().role().label()))
                    .append(
                            ")</span><form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"")
                    .append(text(session.csrf()))
                    .append("\"><button type=\"submit\">Log out</button></form>");
        }
        out.append("</header><main>").append(body).append("</main></body></html>");
        return out.toString();
    }

    /** Bytes as people read them (KiB, MiB, GiB). */
    static String bytes(long n) {
        return pm.common.text.ByteCounts.human(n);
    }
}
