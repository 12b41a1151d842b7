package pm.common.net;

/** A host name or IP literal and a port, as peers dial it: {@code host:port}, IPv6 in brackets. */
public record HostPort(String host, int port) {
    public HostPort {
        if (host.isEmpty() || port < 0 || port > 65535) {
            throw new IllegalArgumentException(
                    "an address is HOST:PORT with a port 0-65535, not '" + host + ":" + port + "'");
        }
    }

    /** Parses {@code host:port} or {@code [v6]:port}. */
    public static HostPort parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("an address is HOST:PORT, not '" + text + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new HostPort(host, Integer.parseInt(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("an address is HOST:PORT, not '" + text + "'");
        }
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
