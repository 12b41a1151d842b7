package pm.runtime.bench;

import com.google.protobuf.ByteString;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import pm.runtime.image.ImageReader;
import pm.runtime.image.ImageWriter;
import pm.v1.ExecutionState;
import pm.v1.ImageHeader;
import pm.v1.MemoryState;
import pm.v1.RunStatus;

/**
 * Process image write and read throughput for a memory of {@code bench.imageMiB} (default 256)
 * MiB, half of it text-like and compressible, half random: to memory and to a file (fsync'd),
 * plain and deflated; the baseline is a plain copy of the same memory in the same run.
 */
public final class ImageThroughputBench {
    private ImageThroughputBench() {}

    public static void main(String[] args) throws Exception {
        int mib = Integer.getInteger("bench.imageMiB", 256);
        int pages = mib * 16;
        Random random = new Random(42);
        byte[] memory = new byte[pages * 65536];
        byte[] page = new byte[65536];
        for (int p = 0; p < pages; p++) {
            if (p % 2 == 0) {
                random.nextBytes(page);
            } else {
                for (int i = 0; i < page.length; i++) {
                    page[i] = (byte) "the quick brown fox jumps over the lazy dog ".charAt((i + p) % 44);
                }
            }
            System.arraycopy(page, 0, memory, p * 65536, 65536);
        }
        ExecutionState state = ExecutionState.newBuilder()
                .setFormatVersion(1)
                .setModuleSha256(ByteString.copyFrom(new byte[32]))
                .setStatus(RunStatus.RUN_STATUS_IDLE)
                .addMemories(MemoryState.newBuilder().setPages(pages))
                .build();
        ImageHeader header = ImageWriter.headerFor(new byte[32], "bench").build();
        double bytes = pages * 65536.0;
        System.out.printf(
                "image of %d MiB memory (%d pages), JVM %s, %d CPUs%n",
                mib,
                pages,
                System.getProperty("java.vm.version"),
                Runtime.getRuntime().availableProcessors());

        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            byte[] copy = memory.clone();
            double baseline = bytes / 1e6 / ((System.nanoTime() - t0) / 1e9);
            if (copy.length != memory.length) {
                throw new AssertionError();
            }
            for (boolean compress : new boolean[] {false, true}) {
                ByteArrayOutputStream out = new ByteArrayOutputStream((int) bytes + (1 << 20));
                long w0 = System.nanoTime();
                new ImageWriter(out, compress).write(header, state, null, memory, null);
                long w1 = System.nanoTime();
                byte[] image = out.toByteArray();
                long r0 = System.nanoTime();
                ImageReader.read(new ByteArrayInputStream(image), null, pages);
                long r1 = System.nanoTime();
                Path file = Files.createTempFile("pm-image", ".img");
                long f0 = System.nanoTime();
                try (FileOutputStream fos = new FileOutputStream(file.toFile());
                        OutputStream buffered = new BufferedOutputStream(fos, 1 << 20)) {
                    new ImageWriter(buffered, compress).write(header, state, null, memory, null);
                    buffered.flush();
                    fos.getFD().sync();
                }
                long f1 = System.nanoTime();
                Files.delete(file);
                System.out.printf(
                        "round %d %-8s image %6.1f MiB | write to memory %7.0f MB/s | read+verify %7.0f MB/s"
                                + " | write to file+fsync %7.0f MB/s | baseline memory copy %7.0f MB/s%n",
                        round,
                        compress ? "deflate" : "plain",
                        image.length / 1048576.0,
                        bytes / 1e6 / ((w1 - w0) / 1e9),
                        bytes / 1e6 / ((r1 - r0) / 1e9),
                        bytes / 1e6 / ((f1 - f0) / 1e9),
                        baseline);
            }
        }
    }
}
