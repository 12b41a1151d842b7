package pm.agent.bench;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import pm.agent.store.CheckpointRecord;
import pm.agent.store.CheckpointStore;
import pm.agent.store.crypto.ClusterKeys;
import pm.runtime.image.ImageWriter;
import pm.v1.ExecutionState;
import pm.v1.ImageHeader;
import pm.v1.MemoryState;
import pm.v1.RunStatus;

/**
 * Checkpoint write throughput: a plain image of a {@code bench.imageMiB} (default 256) MiB memory,
 * pages alternately random and text, put into a {@link CheckpointStore} on disk, against the
 * disk's own throughput in the same round: the same bytes written to one file with a FileChannel
 * and forced. Then second checkpoints of the same memory with 1/16 of its pages changed, as full
 * images: the changed pages together (4 of every 64 page groups) and spread (every 16th page, so
 * every group changes: content addressing works at the granularity of 64-page groups); and the
 * spread change as an increment, which carries only the changed pages.
 * Then the same image into a store sealed with image keys (AES-256-GCM, keyed chunk names) in the
 * same round, against the plain store's put: the cost of encryption as a ratio.
 * {@code bench.rounds} (default 5) rounds, the median ratios at the end; {@code bench.dir}
 * (default java.io.tmpdir) is where.
 */
public final class CheckpointWriteBench {
    private static final int PAGE = 65536;

    private CheckpointWriteBench() {}

    public static void main(String[] args) throws Exception {
        int mib = Integer.getInteger("bench.imageMiB", 256);
        int rounds = Integer.getInteger("bench.rounds", 5);
        Path base = Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir")));
        int pages = mib * 16;
        byte[] memory = memory(pages, new Random(42));
        byte[] image = image(memory, "first", "", null);
        System.out.printf(
                "image of %d MiB memory (%d pages): %.1f MiB; JVM %s, %d CPUs, load average %.2f; in %s%n",
                mib,
                pages,
                image.length / 1048576.0,
                System.getProperty("java.vm.version"),
                Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                base.toAbsolutePath());

        Path keyDir = Files.createTempDirectory(base, "pm-checkpoint-bench-keys");
        ClusterKeys.generate(keyDir.resolve("image.keys"));
        ClusterKeys keys = ClusterKeys.load(keyDir.resolve("image.keys"));
        warmUp(base, ClusterKeys.NONE);
        warmUp(base, keys);
        double[] ratios = new double[rounds];
        double[] sealedRatios = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            Path work = Files.createTempDirectory(base, "pm-checkpoint-bench");
            try (CheckpointStore store = new CheckpointStore(work.resolve("store"))) {
                // Alternate which goes first, so neither always meets the disk right after the other.
                // Wall time and this JVM's CPU time (all threads) of each.
                long[] disk = new long[2];
                if (round % 2 == 0) {
                    disk = disk(work, image);
                }
                long c0 = cpuNanos();
                long s0 = System.nanoTime();
                CheckpointRecord first = store.put("bench", new ByteArrayInputStream(image), new byte[0]);
                long put = System.nanoTime() - s0;
                long putCpu = cpuNanos() - c0;
                if (round % 2 == 1) {
                    disk = disk(work, image);
                }
                ratios[round] = (double) disk[0] / put;
                System.out.printf(
                        "round %d  disk (FileChannel+force) %5.0f MB/s %5.0f ms (cpu %4.0f ms)"
                                + " | store.put %5.0f MB/s %5.0f ms (cpu %4.0f ms) | store/disk %3.0f %% | new bytes %.1f MiB%n",
                        round,
                        mbPerSecond(image.length, disk[0]),
                        disk[0] / 1e6,
                        disk[1] / 1e6,
                        mbPerSecond(image.length, put),
                        put / 1e6,
                        putCpu / 1e6,
                        100 * ratios[round],
                        first.newBytes() / 1048576.0);

                for (Change change : Change.values()) {
                    second(store, memory, first.checkpointId(), change, round);
                }

                long c1 = cpuNanos();
                long s1 = System.nanoTime();
                CheckpointRecord sealed;
                try (CheckpointStore sealedStore = new CheckpointStore(work.resolve("sealed"), keys)) {
                    sealed = sealedStore.put("bench", new ByteArrayInputStream(image), new byte[0]);
                }
                long sealedPut = System.nanoTime() - s1;
                long sealedCpu = cpuNanos() - c1;
                sealedRatios[round] = (double) sealedPut / put;
                System.out.printf(
                        "         sealed store.put %5.0f MB/s %5.0f ms (cpu %4.0f ms) | sealed/plain put time %.2f,"
                                + " cpu %.2f | new bytes %.1f MiB%n",
                        mbPerSecond(image.length, sealedPut),
                        sealedPut / 1e6,
                        sealedCpu / 1e6,
                        sealedRatios[round],
                        (double) sealedCpu / putCpu,
                        sealed.newBytes() / 1048576.0);
            } finally {
                deleteTree(work);
                Durable.syncDirectory(base); // the deletions (and their discards) are paid here, not in the next round
            }
        }
        deleteTree(keyDir);
        Arrays.sort(ratios);
        Arrays.sort(sealedRatios);
        System.out.printf("median store/disk over %d rounds: %.0f %%%n", rounds, 100 * ratios[rounds / 2]);
        System.out.printf(
                "median sealed/plain store.put time over %d rounds: %.2f%n", rounds, sealedRatios[rounds / 2]);
    }

    /** Puts and writes a 16 MiB image a few times, unmeasured, so that round 0 does not time the JIT compiler. */
    private static void warmUp(Path base, ClusterKeys keys) throws IOException {
        byte[] small = image(memory(256, new Random(1)), "warm-up", "", null);
        Path work = Files.createTempDirectory(base, "pm-checkpoint-bench");
        try (CheckpointStore store = new CheckpointStore(work.resolve("store"), keys)) {
            for (int i = 0; i < 5; i++) {
                store.delete("warm-up");
                store.put("warm-up", new ByteArrayInputStream(small), new byte[0]);
                disk(work, small);
            }
        } finally {
            deleteTree(work);
        }
    }

    /**
     * Wall and CPU nanoseconds to write {@code image} to a new file and force it; the file is
     * deleted after, outside the time.
     */
    private static long[] disk(Path work, byte[] image) throws IOException {
        Path file = work.resolve("baseline.img");
        long c0 = cpuNanos();
        long t0 = System.nanoTime();
        writeAndForce(file, image);
        long[] nanos = {System.nanoTime() - t0, cpuNanos() - c0};
        Files.delete(file);
        Durable.syncDirectory(work);
        return nanos;
    }

    /** CPU time of this JVM, all threads (the store's I/O threads included). */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** How a second checkpoint differs from the first. */
    private enum Change {
        /** 4 of every 64 page groups, as a full image. */
        TOGETHER,
        /** Every 16th page, as a full image. */
        SPREAD,
        /** Every 16th page, as an increment on the first image. */
        SPREAD_INCREMENT
    }

    /** A second checkpoint with 1/16 of the pages changed; the memory is put back after. */
    private static void second(CheckpointStore store, byte[] memory, String baseId, Change change, int round)
            throws IOException {
        byte[] original = memory.clone();
        Random random = new Random(round);
        byte[] page = new byte[PAGE];
        BitSet changed = new BitSet();
        for (int p = 0; p < memory.length / PAGE; p++) {
            if (change == Change.TOGETHER ? (p / 64) % 16 == 3 : p % 16 == 3) {
                random.nextBytes(page);
                System.arraycopy(page, 0, memory, p * PAGE, PAGE);
                changed.set(p);
            }
        }
        String id = change + "-" + round;
        byte[] image =
                change == Change.SPREAD_INCREMENT ? image(memory, id, baseId, changed) : image(memory, id, "", null);
        long t0 = System.nanoTime();
        CheckpointRecord r = store.put("bench", new ByteArrayInputStream(image), new byte[0]);
        long t1 = System.nanoTime();
        System.out.printf(
                "         second checkpoint, 1/16 of pages changed, %-16s: %5.0f ms, new bytes %5.1f MiB of %5.1f MiB%n",
                change.toString().toLowerCase(Locale.ROOT).replace('_', ' '),
                (t1 - t0) / 1e6,
                r.newBytes() / 1048576.0,
                r.bytes() / 1048576.0);
        System.arraycopy(original, 0, memory, 0, memory.length);
    }

    private static byte[] memory(int pages, Random random) {
        byte[] memory = new byte[pages * PAGE];
        byte[] page = new byte[PAGE];
        for (int p = 0; p < pages; p++) {
            if (p % 2 == 0) {
                random.nextBytes(page);
            } else {
                for (int i = 0; i < page.length; i++) {
                    page[i] = (byte) "the quick brown fox jumps over the lazy dog ".charAt((i + p) % 44);
                }
            }
            System.arraycopy(page, 0, memory, p * PAGE, PAGE);
        }
        return memory;
    }

    /** A plain image of {@code memory}, as a process would write it: full, or an increment of {@code baseId} carrying {@code changed}. */
    private static byte[] image(byte[] memory, String id, String baseId, BitSet changed) throws IOException {
        int pages = memory.length / PAGE;
        ExecutionState state = ExecutionState.newBuilder()
                .setFormatVersion(1)
                .setModuleSha256(ByteString.copyFrom(new byte[32]))
                .setStatus(RunStatus.RUN_STATUS_IDLE)
                .addMemories(MemoryState.newBuilder().setPages(pages))
                .build();
        ImageHeader header =
                ImageWriter.headerFor(new byte[32], id).setBaseImageId(baseId).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream(memory.length + (1 << 20));
        new ImageWriter(out, false).write(header, state, null, memory, changed);
        return out.toByteArray();
    }

    private static void writeAndForce(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            // In 4 MiB slices, as the store writes its chunks: the JDK copies a heap buffer through a
            // temporary direct one of the slice's size.
            for (int at = 0; at < bytes.length; at += 4 << 20) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes, at, Math.min(4 << 20, bytes.length - at));
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
            }
            ch.force(true);
        }
    }

    /** Makes pending deletions in {@code dir} durable now. */
    private static final class Durable {
        static void syncDirectory(Path dir) throws IOException {
            try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
                ch.force(true);
            }
        }
    }

    private static double mbPerSecond(long bytes, long nanos) {
        return bytes / 1e6 / (nanos / 1e9);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
