package pm.deploy.hosts;

import java.util.List;

/**
 * One host of a test bed: its name, the address daemons on it bind and advertise, and the command
 * prefix that runs a program there ({@code ip netns exec NS}, or nothing on this machine's own
 * network).
 */
public record Host(String name, String address, List<String> launcher) {
    public static final Host LOCAL = new Host("local", "127.0.0.1", List.of());

    public Host {
        launcher = List.copyOf(launcher);
        if (name.isEmpty() || address.isEmpty()) {
            throw new IllegalArgumentException("a host has a name and an address");
        }
    }
}
