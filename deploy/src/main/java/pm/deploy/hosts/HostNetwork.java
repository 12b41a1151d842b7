package pm.deploy.hosts;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Several hosts on one machine. As root, each host is a Linux network namespace with its own
 * address on a private /24, all joined by one bridge (the test's JVM reaches them through an
 * address of its own on that bridge); a partition is a host's link taken down. Where namespaces
 * cannot be made (not root, no {@code ip}), each host gets a distinct loopback address
 * (127.0.0.2, .3, ...) instead, {@link #isolated()} is false, a partition cannot be made, and the
 * constructor says so on its log — nothing is skipped silently. Names are unique per JVM (the
 * pid), so two test runs on one machine do not collide. Owned by the thread that creates and
 * closes it.
 */
public final class HostNetwork implements AutoCloseable {
    private final String tag;
    private final boolean isolated;
    private final Map<String, Host> hosts = new LinkedHashMap<>();
    private final Map<String, String> links = new LinkedHashMap<>(); // host name -> its bridge-side veth
    private final String bridge;
    private final String bridgeAddress;

    private HostNetwork(String tag, boolean isolated, String bridge, String bridgeAddress) {
        this.tag = tag;
        this.isolated = isolated;
        this.bridge = bridge;
        this.bridgeAddress = bridgeAddress;
    }

    /** Hosts named {@code names}: namespaces if this process may make them, loopback addresses otherwise. */
    public static HostNetwork create(List<String> names, PrintStream log) throws IOException, InterruptedException {
        long pid = ProcessHandle.current().pid();
        String tag = Long.toString(pid % 100_000);
        int subnet = (int) (pid % 200) + 20;
        String why = namespacesUnavailable();
        if (why != null) {
            log.println("hosts: network namespaces unavailable (" + why + "); using loopback addresses 127.0.0.2.."
                    + (names.size() + 1) + " instead: partitions cannot be made on them");
            HostNetwork net = new HostNetwork(tag, false, null, null);
            for (int i = 0; i < names.size(); i++) {
                net.hosts.put(names.get(i), new Host(names.get(i), "127.0.0." + (i + 2), List.of()));
            }
            return net;
        }
        String prefix = "10.231." + subnet + ".";
        HostNetwork net = new HostNetwork(tag, true, "pmb" + tag, prefix + "254");
        try {
            net.build(names, prefix);
        } catch (IOException | InterruptedException | RuntimeException e) {
            net.close();
            throw e;
        }
        log.println("hosts: " + names.size() + " network namespaces on bridge " + net.bridge + " (" + prefix
                + "0/24); this JVM is " + net.bridgeAddress);
        return net;
    }

    private void build(List<String> names, String prefix) throws IOException, InterruptedException {
        run("ip", "link", "add", bridge, "type", "bridge");
        run("ip", "addr", "add", bridgeAddress + "/24", "dev", bridge);
        run("ip", "link", "set", bridge, "up");
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            String ns = namespace(name);
            String veth = "pmv" + tag + "x" + i;
            String address = prefix + (i + 1);
            run("ip", "netns", "add", ns);
            run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
            run("ip", "link", "set", veth, "master", bridge);
            run("ip", "link", "set", veth, "up");
            run("ip", "-n", ns, "addr", "add", address + "/24", "dev", "eth0");
            run("ip", "-n", ns, "link", "set", "eth0", "up");
            run("ip", "-n", ns, "link", "set", "lo", "up");
            hosts.put(name, new Host(name, address, List.of("ip", "netns", "exec", ns)));
            links.put(name, veth);
        }
    }

    private String namespace(String host) {
        return "pm" + tag + "-" + host;
    }

    /** Why namespaces cannot be made here, or null if they can. */
    private static String namespacesUnavailable() throws InterruptedException {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "not root";
        }
        try {
            String probe = "pmprobe" + ProcessHandle.current().pid();
            run("ip", "netns", "add", probe);
            run("ip", "netns", "delete", probe);
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    public boolean isolated() {
        return isolated;
    }

    public Host host(String name) {
        Host h = hosts.get(name);
        if (h == null) {
            throw new IllegalArgumentException("no host " + name + " on this network");
        }
        return h;
    }

    public List<Host> hosts() {
        return List.copyOf(hosts.values());
    }

    /** Takes {@code name}'s link down: nothing reaches it and it reaches nothing, its processes keep running. */
    public void cut(String name) throws IOException, InterruptedException {
        run("ip", "link", "set", link(name), "down");
    }

    /** Brings {@code name}'s link back. */
    public void heal(String name) throws IOException, InterruptedException {
        run("ip", "link", "set", link(name), "up");
    }

    private String link(String name) {
        if (!isolated) {
            throw new IllegalStateException("a partition needs network namespaces; this network is loopback addresses");
        }
        String veth = links.get(name);
        if (veth == null) {
            throw new IllegalArgumentException("no host " + name + " on this network");
        }
        return veth;
    }

    /** The listening TCP sockets inside {@code host}'s namespace (or of process {@code pid} when not isolated), as ADDR:PORT (IPv4-mapped addresses as plain IPv4). */
    public List<String> listening(Host host, long pid) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(host.launcher());
        command.addAll(List.of("ss", "-ltnpH"));
        List<String> sockets = new ArrayList<>();
        for (String line : run(command.toArray(String[]::new)).lines().toList()) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length >= 4 && (isolated || line.contains("pid=" + pid + ","))) {
                sockets.add(cols[3].replaceFirst(
                        "^\\[::ffff:([0-9.]+)\\]", "$1")); // an IPv4 address on a dual-stack socket
            }
        }
        return sockets;
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + ": did not finish in 60 s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + ": " + out.strip());
        }
        return out;
    }

    /** Deletes the namespaces (their processes should be gone first) and the bridge; idempotent. */
    @Override
    public void close() throws InterruptedException {
        if (!isolated) {
            return;
        }
        for (String name : List.copyOf(hosts.keySet())) {
            quietly("ip", "netns", "delete", namespace(name));
        }
        hosts.clear();
        for (String veth : links.values()) {
            quietly("ip", "link", "delete", veth);
        }
        links.clear();
        quietly("ip", "link", "delete", bridge);
    }

    private static void quietly(String... command) throws InterruptedException {
        try {
            run(command);
        } catch (IOException alreadyGone) {
            // deleting a namespace deletes its veth pair; the bridge may be gone too
        }
    }
}
