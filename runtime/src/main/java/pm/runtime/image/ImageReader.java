package pm.runtime.image;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import pm.runtime.StateFormatException;
import pm.runtime.StateMismatchException;
import pm.v1.ExecutionState;
import pm.v1.ImageHeader;
import pm.v1.ImageTrailer;
import pm.v1.MemoryPage;
import pm.v1.WasiState;

/**
 * Reads a process image and checks all of it — magic, version, every chunk's checksum and
 * length, chunk order, the trailer's counts, the module — before returning anything, so a bad
 * image is refused before any guest code could run.
 */
public final class ImageReader {
    /** A verified image: its header, the execution state with its memory pages, the WASI state (or null). */
    public record Image(ImageHeader header, ExecutionState execution, WasiState wasi) {}

    private ImageReader() {}

    /** Reads and verifies; {@code expectedModuleSha256} (or null) must match the image's module. */
    public static Image read(InputStream stream, byte[] expectedModuleSha256) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        try {
            if (in.readLong() != ImageFormat.MAGIC) {
                throw new StateFormatException("not a process image: bad magic");
            }
            int version = in.readInt();
            if (version != ImageFormat.VERSION) {
                throw new StateFormatException("unsupported image format version " + version + " (expected " + ImageFormat.VERSION + ")");
            }
            ImageHeader header = null;
            ExecutionState execution = null;
            WasiState wasi = null;
            List<MemoryPage> pages = new ArrayList<>();
            int chunks = 0;
            for (;;) {
                int type = in.readUnsignedByte();
                byte[] raw = readChunk(in, type, chunks);
                if (type == ImageFormat.TRAILER) {
                    ImageTrailer trailer = ImageTrailer.parseFrom(raw);
                    if (trailer.getChunkCount() != chunks || trailer.getPageCount() != pages.size()) {
                        throw new StateFormatException("image incomplete: trailer expects " + trailer.getChunkCount()
                                + " chunks and " + trailer.getPageCount() + " pages, found " + chunks + " and " + pages.size());
                    }
                    break;
                }
                if ((chunks == 0) != (type == ImageFormat.HEADER)) {
                    throw new StateFormatException("chunk " + chunks + ": the header must come first, once");
                }
                switch (type) {
                    case ImageFormat.HEADER:
                        header = ImageHeader.parseFrom(raw);
                        break;
                    case ImageFormat.PAGES:
                        readPages(raw, chunks, header, pages);
                        break;
                    case ImageFormat.EXECUTION:
                        execution = ExecutionState.parseFrom(raw);
                        break;
                    case ImageFormat.WASI:
                        wasi = WasiState.parseFrom(raw);
                        break;
                    default:
                        throw new StateFormatException("chunk " + chunks + ": unknown type " + type);
                }
                chunks++;
            }
            if (execution == null) {
                throw new StateFormatException("image has no execution state");
            }
            if (expectedModuleSha256 != null && !Arrays.equals(expectedModuleSha256, header.getModuleSha256().toByteArray())) {
                throw new StateMismatchException("image is of module sha256:" + HexFormat.of().formatHex(header.getModuleSha256().toByteArray())
                        + ", not sha256:" + HexFormat.of().formatHex(expectedModuleSha256));
            }
            if (execution.getMemoriesCount() > 0) {
                execution = execution.toBuilder()
                        .setMemories(0, execution.getMemories(0).toBuilder().addAllData(pages))
                        .build();
            } else if (!pages.isEmpty()) {
                throw new StateFormatException("image carries memory pages but its execution state has no memory");
            }
            return new Image(header, execution, wasi);
        } catch (EOFException e) {
            throw new StateFormatException("image truncated", e);
        } catch (InvalidProtocolBufferException e) {
            throw new StateFormatException("image chunk corrupt: " + e.getMessage(), e);
        }
    }

    private static byte[] readChunk(DataInputStream in, int type, int index) throws IOException {
        int flags = in.readUnsignedByte();
        int stored = in.readInt();
        int raw = in.readInt();
        int crc = in.readInt();
        if (stored < 0 || raw < 0 || stored > ImageFormat.MAX_CHUNK || raw > ImageFormat.MAX_CHUNK) {
            throw new StateFormatException("chunk " + index + " (type " + type + "): implausible length");
        }
        byte[] bytes = new byte[stored];
        in.readFully(bytes);
        CRC32C c = new CRC32C();
        c.update(bytes);
        if ((int) c.getValue() != crc) {
            throw new StateFormatException("chunk " + index + " (type " + type + "): checksum mismatch");
        }
        if ((flags & ImageFormat.FLAG_DEFLATE) == 0) {
            if (raw != stored) {
                throw new StateFormatException("chunk " + index + ": length mismatch");
            }
            return bytes;
        }
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(bytes);
            byte[] out = new byte[raw];
            int n = 0;
            while (n < raw && !inflater.finished()) {
                int k = inflater.inflate(out, n, raw - n);
                if (k == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += k;
            }
            if (n != raw || !inflater.finished()) {
                throw new StateFormatException("chunk " + index + ": inflates to " + n + " bytes, header says " + raw);
            }
            return out;
        } catch (DataFormatException e) {
            throw new StateFormatException("chunk " + index + ": corrupt compressed data", e);
        } finally {
            inflater.end();
        }
    }

    private static void readPages(byte[] raw, int index, ImageHeader header, List<MemoryPage> pages) {
        if (raw.length < 8) {
            throw new StateFormatException("chunk " + index + ": page chunk too short");
        }
        int first = getInt(raw, 0);
        int count = getInt(raw, 4);
        if (count <= 0 || raw.length != 8 + (long) count * 65536 || first < 0 || (long) first + count > header.getMemoryPages()) {
            throw new StateFormatException("chunk " + index + ": pages " + first + "+" + count + " do not fit "
                    + header.getMemoryPages() + " pages");
        }
        if (!pages.isEmpty() && first <= pages.get(pages.size() - 1).getIndex()) {
            throw new StateFormatException("chunk " + index + ": pages out of order");
        }
        for (int p = 0; p < count; p++) {
            pages.add(ImageWriter.page(first + p, raw, 8 + p * 65536));
        }
    }

    private static int getInt(byte[] b, int at) {
        return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }
}
