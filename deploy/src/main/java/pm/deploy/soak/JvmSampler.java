package pm.deploy.soak;

import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import pm.common.metrics.JvmProcessMetrics;

/**
 * Samples each JVM of the soak: heap in use after a collection ({@code pm_jvm_heap_after_gc_bytes})
 * and open file descriptors ({@code process_files_open_files}), read from the daemons' Prometheus
 * endpoints; this JVM (the SDK's side) is read in place from the same sources. With {@code forceGc}
 * each daemon is first told to collect ({@code jcmd PID GC.run}, a full collection), so the heap
 * figure is what is still reachable rather than wherever the collector happened to stop. Runs on
 * the sampling thread; {@link #heap} and {@link #fds} may be read once sampling has stopped.
 */
final class JvmSampler {
    /** A daemon JVM: its name, OS process id and metrics port. */
    record Probe(String name, long pid, int metricsPort) {}

    static final String SELF = "soak (SDK)";
    private static final double MIB = 1024.0 * 1024.0;

    private final List<Probe> probes;
    private final boolean forceGc;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final Map<String, List<Trend.Point>> heap = new LinkedHashMap<>();
    private final Map<String, List<Trend.Point>> fds = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();

    JvmSampler(List<Probe> probes, boolean forceGc) {
        this.probes = List.copyOf(probes);
        this.forceGc = forceGc;
        for (Probe p : probes) {
            heap.put(p.name(), new ArrayList<>());
            fds.put(p.name(), new ArrayList<>());
        }
        heap.put(SELF, new ArrayList<>());
        fds.put(SELF, new ArrayList<>());
    }

    void sample() throws InterruptedException {
        for (Probe p : probes) {
            try {
                if (forceGc) {
                    collect(p.pid());
                }
                String text = http.send(
                                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.metricsPort() + "/metrics"))
                                        .timeout(Duration.ofSeconds(30))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
                long now = System.currentTimeMillis();
                heap.get(p.name()).add(new Trend.Point(now, value(text, "pm_jvm_heap_after_gc_bytes") / MIB));
                fds.get(p.name()).add(new Trend.Point(now, value(text, "process_files_open_files")));
            } catch (IOException e) {
                problem(p.name() + ": " + e);
            }
        }
        if (forceGc) {
            System.gc();
        }
        long now = System.currentTimeMillis();
        heap.get(SELF).add(new Trend.Point(now, JvmProcessMetrics.heapAfterLastGc() / MIB));
        double open = ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix
                ? unix.getOpenFileDescriptorCount()
                : Double.NaN;
        fds.get(SELF).add(new Trend.Point(now, open));
    }

    private void collect(long pid) throws IOException, InterruptedException {
        String jcmd = Paths.get(System.getProperty("java.home"), "bin", "jcmd").toString();
        Process gc = new ProcessBuilder(jcmd, Long.toString(pid), "GC.run")
                .redirectErrorStream(true)
                .start();
        try (InputStream out = gc.getInputStream()) {
            out.readAllBytes();
        }
        if (!gc.waitFor(60, TimeUnit.SECONDS) || gc.exitValue() != 0) {
            gc.destroyForcibly();
            throw new IOException("jcmd " + pid + " GC.run did not succeed");
        }
    }

    /** The value of the first sample of {@code metric} in a Prometheus text scrape (NaN if absent). */
    static double value(String scrape, String metric) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(metric)
                    && (line.charAt(metric.length()) == '{' || line.charAt(metric.length()) == ' ')) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return Double.NaN;
    }

    private synchronized void problem(String what) {
        if (problems.size() < 10) {
            problems.add(what);
        }
    }

    synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    /** Heap after GC in MiB, per JVM, in sampling order. */
    Map<String, List<Trend.Point>> heap() {
        return heap;
    }

    /** Open file descriptors per JVM. */
    Map<String, List<Trend.Point>> fds() {
        return fds;
    }
}
