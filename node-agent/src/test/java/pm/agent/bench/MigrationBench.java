package pm.agent.bench;

import com.google.protobuf.ByteString;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import pm.agent.AgentProcess;
import pm.agent.Agents;
import pm.common.security.CertificateAuthority;
import pm.common.security.Role;
import pm.v1.MigrateRequest;
import pm.v1.MigrationResult;
import pm.v1.ProcessInfo;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;
import pm.v1.ResumeRequest;
import pm.v1.SpawnRequest;

/**
 * Live migration between two agents in their own JVMs on loopback. For each memory size
 * ({@code bench.sizesMiB}, default 1,64,1024) a counter guest fills that much memory, then keeps
 * writing a working set of {@code bench.hotKiB} (default 256) while it is moved back and forth
 * {@code bench.moves} times (default 20,10,4). Prints downtime (frozen on the source until running
 * on the target) p50/p99, total time, bytes sent and streaming throughput, against a plain
 * loopback TCP copy measured in the same command; then suspend + resume of the largest process
 * (a restore from the checkpoint store). With {@code bench.frozen=true} the guest is frozen first, so
 * every page moves in the final round and the figures are those of the data path alone.
 * {@code bench.transport=plaintext,tls} measures it all twice, the second time with the agents on
 * mutual TLS, and prints the ratios.
 */
public final class MigrationBench {
    private MigrationBench() {}

    public static void main(String[] args) throws Exception {
        String[] sizes = System.getProperty("bench.sizesMiB", "1,64,1024").split(",");
        String[] moves = System.getProperty("bench.moves", "20,10,4").split(",");
        int hot = Integer.getInteger("bench.hotKiB", 256) << 10;
        boolean frozen = Boolean.getBoolean("bench.frozen");
        System.out.printf(
                "JVM %s, %d CPUs, load average %.2f at start%n",
                System.getProperty("java.vm.version"),
                Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        double tcp = loopbackTcpBytesPerSecond(1L << 30);
        System.out.printf("baseline: plain loopback TCP copy of 1 GiB: %.2f GB/s%n", tcp / 1e9);

        Path dir = Files.createTempDirectory("pm-migration-bench");
        double disk = diskBytesPerSecond(dir, 1L << 30);
        System.out.printf("baseline: the disk under the agents writing 1 GiB and forcing it: %.2f GB/s%n", disk / 1e9);
        String modes = System.getProperty("bench.transport", "plaintext");
        java.util.Map<String, List<double[]>> figures = new java.util.LinkedHashMap<>();
        for (String mode : modes.split(",")) {
            boolean tls = mode.trim().equals("tls");
            System.out.println("== agents talking " + (tls ? "mutual TLS" : "plaintext"));
            figures.put(mode.trim(), measure(dir.resolve(mode.trim()), tls, sizes, moves, hot, frozen, tcp, disk));
        }
        if (figures.size() == 2) {
            List<List<double[]>> both = List.copyOf(figures.values());
            for (int s = 0; s < sizes.length; s++) {
                double[] plain = both.get(0).get(s);
                double[] tls = both.get(1).get(s);
                System.out.printf(
                        "%s / %s, %s MiB: downtime p50 %.2f, stream rate %.2f%n",
                        List.copyOf(figures.keySet()).get(1),
                        List.copyOf(figures.keySet()).get(0),
                        sizes[s].trim(),
                        tls[0] / plain[0],
                        tls[1] / plain[1]);
            }
        }
    }

    /** One pair of agents ({@code tls}: with node certificates of a throw-away CA); per size: downtime p50 (µs), rate (B/s). */
    private static List<double[]> measure(
            Path dir, boolean tls, String[] sizes, String[] moves, int hot, boolean frozen, double tcp, double disk)
            throws Exception {
        List<double[]> figures = new ArrayList<>();
        AgentProcess first = new AgentProcess("a", dir.resolve("a"));
        AgentProcess second = new AgentProcess("b", dir.resolve("b"));
        if (tls) {
            CertificateAuthority ca = CertificateAuthority.init(dir.resolve("ca"), "bench CA");
            first.withTls(ca.issue(Role.NODE, "a", List.of("127.0.0.1"), dir.resolve("ca")));
            second.withTls(ca.issue(Role.NODE, "b", List.of("127.0.0.1"), dir.resolve("ca")));
        }
        try (AgentProcess a = first.start("");
                AgentProcess b = second.start("")) {
            AgentProcess[] agents = {a, b};
            warmUp(agents, Integer.getInteger("bench.warmupMiB", 64), Integer.getInteger("bench.warmupMoves", 10));
            for (int s = 0; s < sizes.length; s++) {
                int mib = Integer.parseInt(sizes[s].trim());
                int count = Integer.parseInt(moves[Math.min(s, moves.length - 1)].trim());
                String id = "bench-" + mib;
                ProcessSpec spec = Agents.counter(Integer.MAX_VALUE, 2000, mib << 20).toBuilder()
                        .addArgs(Integer.toString(Math.min(hot, mib << 20)))
                        .build();
                a.stub()
                        .spawn(SpawnRequest.newBuilder()
                                .setProcessId(id)
                                .setSpec(spec)
                                .build());
                awaitFilled(a, id, mib);
                if (frozen) {
                    a.stub()
                            .freeze(ref(
                                    id)); // no pre-copy: everything moves in the final round, the rate of the data path
                    // alone
                }
                double roundTrip = roundTripMicros(agents, id);
                List<MigrationResult> results = moveBackAndForth(agents, id, count);
                figures.add(report(mib, results, tcp, disk));
                System.out.printf(
                        "%5d MiB: downtime p50 / unary round trip p50 (%.2f ms) %.1f%n",
                        mib, roundTrip / 1e3, figures.get(figures.size() - 1)[0] / roundTrip);
                AgentProcess owner = agents[count % 2];
                if (s == sizes.length - 1) {
                    long t0 = System.nanoTime();
                    owner.stub().withDeadlineAfter(10, TimeUnit.MINUTES).suspend(ref(id));
                    long t1 = System.nanoTime();
                    owner.stub()
                            .withDeadlineAfter(10, TimeUnit.MINUTES)
                            .resume(ResumeRequest.newBuilder().setProcessId(id).build());
                    long t2 = System.nanoTime();
                    System.out.printf(
                            "%d MiB: suspend (freeze + checkpoint to disk) %.0f ms, resume (restore from the store) %.0f ms%n",
                            mib, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
                }
                owner.stub().kill(ref(id));
            }
        }
        return figures;
    }

    /**
     * The p50 of a unary call that does no work (a {@code Get} of {@code id}, answered from memory)
     * from this JVM to each agent in turn, while the guest runs: the floor for one of the downtime's
     * round trips on this machine as it is loaded now.
     */
    private static double roundTripMicros(AgentProcess[] agents, String id) {
        double[] p50 = new double[2];
        for (int a = 0; a < 2; a++) {
            long[] micros = new long[200];
            for (int i = 0; i < micros.length; i++) {
                long t0 = System.nanoTime();
                try {
                    agents[a].stub().get(ref(id));
                } catch (io.grpc.StatusRuntimeException notThere) {
                    // NOT_FOUND from the agent not hosting it: as much of a round trip
                }
                micros[i] = (System.nanoTime() - t0) / 1000;
            }
            java.util.Arrays.sort(micros);
            p50[a] = percentile(micros, 50);
        }
        System.out.printf(
                "baseline: unary Get p50 %.2f ms to the agent running the guest, %.2f ms to the other%n",
                p50[0] / 1e3, p50[1] / 1e3);
        return (p50[0] + p50[1]) / 2;
    }

    /** Moves {@code id} between the two agents {@code count} times, starting on the first, 200 ms apart. */
    private static List<MigrationResult> moveBackAndForth(AgentProcess[] agents, String id, int count)
            throws Exception {
        List<MigrationResult> results = new ArrayList<>();
        for (int m = 0; m < count; m++) {
            AgentProcess from = agents[m % 2];
            AgentProcess to = agents[(m + 1) % 2];
            results.add(from.stub()
                    .withDeadlineAfter(10, TimeUnit.MINUTES)
                    .migrateOut(MigrateRequest.newBuilder()
                            .setProcessId(id)
                            .setTarget(to.address())
                            .setCommit(true)
                            .build()));
            Thread.sleep(200);
        }
        return results;
    }

    /**
     * Fresh agents run the data path in the JVM's interpreter and compile it during the first
     * migrations (a 1 GiB move took 9 s cold, 1.5 s warm); like JMH's warm-up iterations these
     * moves are not measured, but the first one is printed as the cold figure.
     */
    private static void warmUp(AgentProcess[] agents, int mib, int moves) throws Exception {
        if (moves <= 0) {
            return;
        }
        String id = "warmup";
        agents[0]
                .stub()
                .spawn(SpawnRequest.newBuilder()
                        .setProcessId(id)
                        .setSpec(Agents.counter(Integer.MAX_VALUE, 2000, mib << 20))
                        .build());
        awaitFilled(agents[0], id, mib);
        List<MigrationResult> results = moveBackAndForth(agents, id, moves);
        agents[moves % 2].stub().kill(ref(id));
        MigrationResult first = results.get(0);
        MigrationResult last = results.get(results.size() - 1);
        System.out.printf(
                "warm-up (not measured): %d moves of %d MiB; the first (cold JVMs) took %.0f ms with %.1f ms downtime,"
                        + " the last %.0f ms with %.1f ms%n",
                moves,
                mib,
                first.getTotalMicros() / 1e3,
                first.getDowntimeMicros() / 1e3,
                last.getTotalMicros() / 1e3,
                last.getDowntimeMicros() / 1e3);
    }

    private static ProcessRef ref(String id) {
        return ProcessRef.newBuilder().setProcessId(id).build();
    }

    /** Waits until the guest's memory has its full size and it has printed past the fill. */
    private static void awaitFilled(AgentProcess agent, String id, int mib) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            ProcessInfo info = agent.stub().get(ref(id));
            if ((long) info.getMemoryPages() * 65536 >= (long) mib << 20 && info.getInstructionsRetired() > 0) {
                Thread.sleep(1000);
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("guest " + id + " never filled its memory");
    }

    private static double[] report(int mib, List<MigrationResult> results, double tcp, double disk) {
        long[] downtime = results.stream()
                .mapToLong(MigrationResult::getDowntimeMicros)
                .sorted()
                .toArray();
        double total = results.stream()
                .mapToLong(MigrationResult::getTotalMicros)
                .average()
                .orElse(0);
        double bytes = results.stream()
                .mapToLong(MigrationResult::getBytesSent)
                .average()
                .orElse(0);
        double rounds =
                results.stream().mapToInt(MigrationResult::getRounds).average().orElse(0);
        double throughput = results.stream()
                .mapToDouble(r -> r.getBytesSent() / (r.getTotalMicros() / 1e6))
                .average()
                .orElse(0);
        System.out.printf(
                "%5d MiB x%d moves: downtime p50 %.2f ms, p99 %.2f ms | total %.1f ms | %.1f MiB sent in %.1f rounds"
                        + " | %.2f GB/s (%.0f%% of loopback TCP, %.0f%% of the disk)%n",
                mib,
                results.size(),
                percentile(downtime, 50) / 1e3,
                percentile(downtime, 99) / 1e3,
                total / 1e3,
                bytes / 1048576,
                rounds,
                throughput / 1e9,
                100 * throughput / tcp,
                100 * throughput / disk);
        return new double[] {percentile(downtime, 50), throughput};
    }

    private static double percentile(long[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /**
     * Bytes per second of one new file written in 4 MiB slices and forced, in {@code dir}: the
     * ceiling of a migration, since the target has every page on disk before it answers prepared.
     */
    private static double diskBytesPerSecond(Path dir, long bytes) throws Exception {
        Path file = dir.resolve("disk-baseline");
        java.nio.ByteBuffer slice = java.nio.ByteBuffer.allocate(4 << 20);
        new java.util.Random(1).nextBytes(slice.array());
        long t0 = System.nanoTime();
        try (java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(
                file, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            for (long written = 0; written < bytes; written += slice.capacity()) {
                slice.clear();
                while (slice.hasRemaining()) {
                    out.write(slice);
                }
            }
            out.force(false);
        }
        double rate = bytes / ((System.nanoTime() - t0) / 1e9);
        Files.delete(file);
        return rate;
    }

    /** Bytes per second of a plain socket copy on loopback: the ceiling for any stream here. */
    private static double loopbackTcpBytesPerSecond(long bytes) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread sink = new Thread(() -> {
                try (Socket s = server.accept();
                        InputStream in = s.getInputStream()) {
                    byte[] buf = new byte[1 << 20];
                    while (in.read(buf) >= 0) {
                        // discard
                    }
                } catch (Exception ignored) {
                    // done
                }
            });
            sink.start();
            byte[] chunk = ByteString.copyFrom(new byte[1 << 20]).toByteArray();
            long t0 = System.nanoTime();
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                    OutputStream out = s.getOutputStream()) {
                for (long sent = 0; sent < bytes; sent += chunk.length) {
                    out.write(chunk);
                }
            }
            sink.join();
            return bytes / ((System.nanoTime() - t0) / 1e9);
        }
    }
}
