package pm.deploy.bench;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import pm.client.ClusterClient;
import pm.client.Input;
import pm.client.SpawnOptions;
import pm.client.TransferProgress;
import pm.deploy.LocalCluster;

/**
 * Inputs in and files out through a local cluster (ZooKeeper, coordinator, three agents, each its own
 * JVM; mutual TLS unless {@code -Dbench.insecure=true}), against a plain loopback socket copy of the same
 * bytes measured in the same run: {@code bench.mib} MiB uploaded by {@code PutBlob} (client, coordinator,
 * agent, forced to its disk), then the file read back out of a process's /data by {@code ReadFile}
 * (agent, coordinator, client). Prints MB/s and the ratios to the baseline, best of {@code bench.rounds}.
 */
public final class DataPathBench {
    public static void main(String[] args) throws Exception {
        int mib = Integer.getInteger("bench.mib", 256);
        int rounds = Integer.getInteger("bench.rounds", 3);
        boolean insecure = Boolean.getBoolean("bench.insecure");
        byte[] bytes = new byte[mib << 20];
        new Random(1).nextBytes(bytes);
        Path dir = Files.createTempDirectory("pm-data-bench");
        Path file = Files.write(dir.resolve("input.bin"), bytes);
        byte[] store = Files.readAllBytes(Paths.get("..", "node-agent", "src", "test", "guest", "wasm", "store.wasm"));

        double baseline = 0;
        for (int r = 0; r < rounds; r++) {
            baseline = Math.max(baseline, socketCopy(bytes));
        }
        LocalCluster local = insecure
                ? new LocalCluster(dir.resolve("cluster")).insecure()
                : new LocalCluster(dir.resolve("cluster"));
        double upload = 0;
        double copyOut = 0;
        try (LocalCluster cluster = local.start(List.of(0), 3);
                ClusterClient client = new ClusterClient(cluster.clientSettings())) {
            for (int r = 0; r < rounds; r++) {
                byte[] round = bytes.clone();
                round[0] = (byte) r; // a new hash each round: every upload stores anew
                Path input = Files.write(dir.resolve("round-" + r), round);
                long t0 = System.nanoTime();
                client.putBlob(Input.of(input), TransferProgress.NONE);
                upload = Math.max(upload, rate(round.length, System.nanoTime() - t0));
            }
            client.spawn(SpawnOptions.builder(store, "store")
                    .withProcessId("bench")
                    .withArgs("-w", "never")
                    .withFile("input.bin", Input.of(file))
                    .withFileSystemLimitMib(mib + 16L)
                    .build());
            for (int r = 0; r < rounds; r++) {
                CountingSink sink = new CountingSink();
                long t0 = System.nanoTime();
                client.readFile("bench", "/data/input.bin", sink, TransferProgress.NONE);
                copyOut = Math.max(copyOut, rate(sink.count, System.nanoTime() - t0));
                if (sink.count != bytes.length) {
                    throw new AssertionError("read " + sink.count + " bytes of " + bytes.length);
                }
            }
        }
        System.out.printf("loopback socket copy (baseline)   %8.0f MB/s%n", baseline);
        System.out.printf(
                "PutBlob upload (%s, %d MiB)    %8.0f MB/s   %.2f of baseline%n",
                insecure ? "plain" : "TLS", mib, upload, upload / baseline);
        System.out.printf(
                "ReadFile / cp out (%s, %d MiB) %8.0f MB/s   %.2f of baseline%n",
                insecure ? "plain" : "TLS", mib, copyOut, copyOut / baseline);
    }

    private static double rate(long bytes, long nanos) {
        return bytes / 1e6 / (nanos / 1e9);
    }

    /** The same bytes through one loopback TCP connection, 1 MiB writes, read on another thread. */
    private static double socketCopy(byte[] bytes) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Long> received = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept();
                        InputStream in = s.getInputStream()) {
                    byte[] buffer = new byte[1 << 20];
                    long n = 0;
                    for (int r; (r = in.read(buffer)) > 0; ) {
                        n += r;
                    }
                    return n;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long t0 = System.nanoTime();
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                    OutputStream out = s.getOutputStream()) {
                for (int at = 0; at < bytes.length; at += 1 << 20) {
                    out.write(bytes, at, Math.min(1 << 20, bytes.length - at));
                }
            }
            long n = received.join();
            return rate(n, System.nanoTime() - t0);
        }
    }

    private static final class CountingSink extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
