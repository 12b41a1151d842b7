package pm.runtime.image;

import com.google.protobuf.ByteString;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.zip.CRC32C;
import java.util.zip.Deflater;
import pm.v1.ExecutionState;
import pm.v1.ImageHeader;
import pm.v1.ImageTrailer;
import pm.v1.MemoryPage;
import pm.v1.MemoryState;
import pm.v1.WasiState;

/**
 * Writes a process image as checksummed chunks (see {@link ImageFormat}). Memory pages leave the
 * execution state and travel as raw page chunks, so an image of any size streams without one
 * giant message. Not thread-safe; one image per writer.
 */
public final class ImageWriter {
    private final DataOutputStream out;
    private final boolean compress;
    private final Deflater deflater = new Deflater(Deflater.BEST_SPEED);
    private int chunks;

    public ImageWriter(OutputStream out, boolean compress) {
        this.out = new DataOutputStream(out);
        this.compress = compress;
    }

    /** Writes the whole image: header, the memory pages of {@code execution}, execution and WASI state, trailer. */
    public void write(ImageHeader header, ExecutionState execution, WasiState wasi) throws IOException {
        out.writeLong(ImageFormat.MAGIC);
        out.writeInt(ImageFormat.VERSION);
        MemoryState memory = execution.getMemoriesCount() > 0 ? execution.getMemories(0) : MemoryState.getDefaultInstance();
        chunk(ImageFormat.HEADER, header.toBuilder().setMemoryPages(memory.getPages()).build().toByteArray());
        int pages = writePages(memory);
        ExecutionState withoutPages = execution.getMemoriesCount() == 0
                ? execution
                : execution.toBuilder().setMemories(0, memory.toBuilder().clearData()).build();
        chunk(ImageFormat.EXECUTION, withoutPages.toByteArray());
        if (wasi != null) {
            chunk(ImageFormat.WASI, wasi.toByteArray());
        }
        chunk(ImageFormat.TRAILER, ImageTrailer.newBuilder().setChunkCount(chunks).setPageCount(pages).build().toByteArray());
        out.flush();
        deflater.end();
    }

    /** Groups consecutive pages into runs of at most {@link ImageFormat#PAGES_PER_CHUNK}. */
    private int writePages(MemoryState memory) throws IOException {
        int written = 0;
        int i = 0;
        var data = memory.getDataList();
        while (i < data.size()) {
            int first = data.get(i).getIndex();
            int run = 1;
            while (i + run < data.size() && run < ImageFormat.PAGES_PER_CHUNK && data.get(i + run).getIndex() == first + run) {
                run++;
            }
            byte[] payload = new byte[8 + run * 65536];
            putInt(payload, 0, first);
            putInt(payload, 4, run);
            for (int p = 0; p < run; p++) {
                ByteString bytes = data.get(i + p).getBytes();
                bytes.copyTo(payload, 8 + p * 65536);
            }
            chunk(ImageFormat.PAGES, payload);
            written += run;
            i += run;
        }
        return written;
    }

    private void chunk(int type, byte[] raw) throws IOException {
        byte[] stored = raw;
        int flags = 0;
        if (compress && type != ImageFormat.TRAILER && worthCompressing(raw)) {
            byte[] packed = deflate(raw);
            if (packed.length < raw.length) {
                stored = packed;
                flags = ImageFormat.FLAG_DEFLATE;
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(stored);
        out.writeByte(type);
        out.writeByte(flags);
        out.writeInt(stored.length);
        out.writeInt(raw.length);
        out.writeInt((int) crc.getValue());
        out.write(stored);
        chunks++;
    }

    /** Deflating random-looking pages costs far more than it saves: probe 8 spread samples of 512 bytes first. */
    private boolean worthCompressing(byte[] raw) {
        if (raw.length <= 8192) {
            return true;
        }
        byte[] sample = new byte[8 * 512];
        for (int i = 0; i < 8; i++) {
            System.arraycopy(raw, (int) ((long) (raw.length - 512) * i / 7), sample, i * 512, 512);
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

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    /** A header for {@code execution}'s module; callers add limits and, for increments, the base. */
    public static ImageHeader.Builder headerFor(ExecutionState execution, String imageId) {
        return ImageHeader.newBuilder()
                .setFormatVersion(ImageFormat.VERSION)
                .setModuleSha256(execution.getModuleSha256())
                .setImageId(imageId)
                .setCreatedUnixNanos(System.currentTimeMillis() * 1_000_000L);
    }

    static MemoryPage page(int index, byte[] bytes, int offset) {
        return MemoryPage.newBuilder().setIndex(index).setBytes(ByteString.copyFrom(bytes, offset, 65536)).build();
    }
}
