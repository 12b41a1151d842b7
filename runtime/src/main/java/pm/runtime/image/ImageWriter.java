package pm.runtime.image;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.BitSet;
import java.util.zip.CRC32C;
import java.util.zip.Deflater;
import pm.runtime.interp.MemoryInstance;
import pm.v1.ChannelState;
import pm.v1.ExecutionState;
import pm.v1.ImageHeader;
import pm.v1.ImageTrailer;
import pm.v1.WasiState;

/**
 * Writes a process image as checksummed chunks (see {@link ImageFormat}). Memory pages leave the
 * execution state and travel as raw page chunks, so an image of any size streams without one
 * giant message. Not thread-safe; one image per writer.
 */
public final class ImageWriter {
    private static final int PAGE = MemoryInstance.PAGE_SIZE;
    private final DataOutputStream out;
    private final boolean compress;
    private final Deflater deflater = new Deflater(Deflater.BEST_SPEED);
    private int chunks;
    private int version;

    public ImageWriter(OutputStream out, boolean compress) {
        this.out = new DataOutputStream(out);
        this.compress = compress;
    }

    /**
     * Writes the whole image: header, memory pages, execution and WASI state, trailer. A full
     * image (no base in {@code header}) carries every non-zero page of {@code memory}; an
     * increment carries the pages in {@code changed} (pages now zero as zero runs) and names its
     * base. {@code execution} is taken without pages (see {@link pm.runtime.interp.Snapshots#captureWithoutPages}).
     */
    public void write(ImageHeader header, ExecutionState execution, WasiState wasi, byte[] memory, BitSet changed)
            throws IOException {
        write(header, execution, wasi, null, memory, changed);
    }

    /** As above, with the process's channel state (null: none, as images before channels). */
    public void write(
            ImageHeader header,
            ExecutionState execution,
            WasiState wasi,
            ChannelState channels,
            byte[] memory,
            BitSet changed)
            throws IOException {
        boolean increment = !header.getBaseImageId().isEmpty();
        if (increment && changed == null) {
            throw new IllegalArgumentException("an incremental image needs the set of changed pages");
        }
        int memoryPages = memory == null ? 0 : memory.length / PAGE;
        version = namesBlobs(wasi) ? ImageFormat.VERSION : ImageFormat.VERSION_WITHOUT_BLOBS;
        out.writeLong(ImageFormat.MAGIC);
        out.writeInt(version);
        chunk(
                ImageFormat.HEADER,
                header.toBuilder()
                        .setFormatVersion(version)
                        .setMemoryPages(memoryPages)
                        .build()
                        .toByteArray());
        int pages = 0;
        ByteArrayOutputStream zeroRuns = new ByteArrayOutputStream();
        int page = 0;
        while (page < memoryPages) {
            if (!increment || changed.get(page)) {
                boolean zero = MemoryInstance.isZeroPage(memory, page);
                int run = 1;
                // Runs never cross a multiple of PAGES_PER_CHUNK, so unchanged groups of pages make
                // byte-identical chunks in every image, which a content-addressed store keeps once.
                while ((page + run) % ImageFormat.PAGES_PER_CHUNK != 0
                        && page + run < memoryPages
                        && (!increment || changed.get(page + run))
                        && MemoryInstance.isZeroPage(memory, page + run) == zero) {
                    run++;
                }
                if (!zero) {
                    pageChunk(memory, page, run);
                    pages += run;
                } else if (increment) {
                    zeroRuns.write(intBytes(page));
                    zeroRuns.write(intBytes(run));
                    pages += run;
                }
                page += run;
            } else {
                page++;
            }
        }
        if (zeroRuns.size() > 0) {
            chunk(ImageFormat.ZERO_PAGES, zeroRuns.toByteArray());
        }
        ExecutionState withoutPages = execution.getMemoriesCount() == 0
                ? execution
                : execution.toBuilder()
                        .setMemories(0, execution.getMemories(0).toBuilder().clearData())
                        .build();
        chunk(ImageFormat.EXECUTION, withoutPages.toByteArray());
        if (wasi != null) {
            chunk(ImageFormat.WASI, wasi.toByteArray());
        }
        if (channels != null) {
            chunk(ImageFormat.CHANNELS, channels.toByteArray());
        }
        chunk(
                ImageFormat.TRAILER,
                ImageTrailer.newBuilder()
                        .setChunkCount(chunks)
                        .setPageCount(pages)
                        .build()
                        .toByteArray());
        out.flush();
        deflater.end();
    }

    /** A run of pages, checksummed and written straight from memory unless it is worth compressing. */
    private void pageChunk(byte[] memory, int first, int count) throws IOException {
        byte[] prefix = new byte[8];
        putInt(prefix, 0, first);
        putInt(prefix, 4, count);
        int length = count * PAGE;
        int from = first * PAGE;
        if (compress && worthCompressing(memory, from, length)) {
            byte[] payload = new byte[8 + length];
            System.arraycopy(prefix, 0, payload, 0, 8);
            System.arraycopy(memory, from, payload, 8, length);
            chunk(ImageFormat.PAGES, payload);
            return;
        }
        CRC32C crc = ImageFormat.frameChecksum(version, ImageFormat.PAGES, 0, 8 + length, 8 + length);
        crc.update(prefix);
        crc.update(memory, from, length);
        frame(ImageFormat.PAGES, 0, 8 + length, 8 + length, crc);
        out.write(prefix);
        out.write(memory, from, length);
    }

    private void chunk(int type, byte[] raw) throws IOException {
        byte[] stored = raw;
        int flags = 0;
        if (compress && type != ImageFormat.TRAILER && worthCompressing(raw, 0, raw.length)) {
            byte[] packed = deflate(raw);
            if (packed.length < raw.length) {
                stored = packed;
                flags = ImageFormat.FLAG_DEFLATE;
            }
        }
        CRC32C crc = ImageFormat.frameChecksum(version, type, flags, stored.length, raw.length);
        crc.update(stored);
        frame(type, flags, stored.length, raw.length, crc);
        out.write(stored);
    }

    private void frame(int type, int flags, int stored, int raw, CRC32C crc) throws IOException {
        out.writeByte(type);
        out.writeByte(flags);
        out.writeInt(stored);
        out.writeInt(raw);
        out.writeInt((int) crc.getValue());
        chunks++;
    }

    /** Whether a file of the session is named by blob hash, which readers before version 3 would misread. */
    private static boolean namesBlobs(WasiState wasi) {
        return wasi != null
                && wasi.getPreopensList().stream()
                        .flatMap(p -> p.getFs().getInodesList().stream())
                        .anyMatch(inode -> !inode.getBlobSha256().isEmpty());
    }

    /** Deflating random-looking pages costs far more than it saves: probe 8 spread samples of 512 bytes first. */
    private boolean worthCompressing(byte[] raw, int from, int length) {
        if (length <= 8192) {
            return true;
        }
        byte[] sample = new byte[8 * 512];
        for (int i = 0; i < 8; i++) {
            System.arraycopy(raw, from + (int) ((long) (length - 512) * i / 7), sample, i * 512, 512);
        }
        return deflate(sample).length < sample.length * 9 / 10;
    }

    private byte[] deflate(byte[] raw) {
        deflater.reset();
        deflater.setInput(raw);
        deflater.finish();
        byte[] buf = new byte[Math.max(64, raw.length + raw.length / 100 + 64)];
        int n = 0;
        while (!deflater.finished()) {
            if (n == buf.length) {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
            n += deflater.deflate(buf, n, buf.length - n);
        }
        return Arrays.copyOf(buf, n);
    }

    private static byte[] intBytes(int v) {
        byte[] b = new byte[4];
        putInt(b, 0, v);
        return b;
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    /** A header for an image of module {@code moduleSha256}; callers add limits and, for increments, the base. */
    public static ImageHeader.Builder headerFor(byte[] moduleSha256, String imageId) {
        return ImageHeader.newBuilder()
                .setFormatVersion(ImageFormat.VERSION)
                .setModuleSha256(ByteString.copyFrom(moduleSha256))
                .setImageId(imageId)
                .setCreatedUnixNanos(System.currentTimeMillis() * 1_000_000L);
    }
}
