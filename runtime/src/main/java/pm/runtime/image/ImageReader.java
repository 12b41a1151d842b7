package pm.runtime.image;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import pm.runtime.LimitExceededException;
import pm.runtime.StateFormatException;
import pm.runtime.StateMismatchException;
import pm.runtime.interp.MemoryInstance;
import pm.v1.ChannelState;
import pm.v1.ExecutionState;
import pm.v1.ImageHeader;
import pm.v1.ImageTrailer;
import pm.v1.WasiState;

/**
 * Reads a process image, or a chain of them (a full image, then increments each on the one
 * before), and checks all of it — magic, version, every chunk's checksum (over its framing too,
 * from version 2), flags and length, chunk order, the trailer's counts, that nothing follows it, the module, the chain's links — before returning anything, so a
 * bad image is refused before any guest code could run. Pages go straight into the memory array
 * the restored process will own, so a 1 GiB image costs 1 GiB once.
 */
public final class ImageReader {
    private static final int PAGE = MemoryInstance.PAGE_SIZE;

    /**
     * A verified image: the header of the last image read, the execution state (memory size only),
     * the WASI state (or null), the channel state (or null: an image from before channels, or a
     * process without), and the memory's contents (null when the state has no memory).
     */
    public record Image(
            ImageHeader header, ExecutionState execution, WasiState wasi, ChannelState channels, byte[] memory) {}

    private ImageReader() {}

    /** Reads one full image; {@code expectedModuleSha256} (or null) must match, memory at most {@code maxPages}. */
    public static Image read(InputStream stream, byte[] expectedModuleSha256, int maxPages) throws IOException {
        return readChain(List.of(stream), expectedModuleSha256, maxPages);
    }

    /** Reads a full image followed by increments, each of which must name the image before it as its base. */
    public static Image readChain(List<InputStream> chain, byte[] expectedModuleSha256, int maxPages)
            throws IOException {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("no image given");
        }
        Image image = null;
        for (InputStream stream : chain) {
            image = readOne(stream, image, expectedModuleSha256, maxPages);
        }
        return image;
    }

    private static Image readOne(InputStream stream, Image base, byte[] expectedSha, int maxPages) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        try {
            if (in.readLong() != ImageFormat.MAGIC) {
                throw new StateFormatException("not a process image: bad magic");
            }
            int version = in.readInt();
            if (version < ImageFormat.OLDEST_VERSION || version > ImageFormat.VERSION) {
                throw new StateFormatException("unsupported image format version " + version + " (expected "
                        + ImageFormat.OLDEST_VERSION + " to " + ImageFormat.VERSION + ")");
            }
            if (in.readUnsignedByte() != ImageFormat.HEADER) {
                throw new StateFormatException("chunk 0: the header must come first, once");
            }
            ImageHeader header = ImageHeader.parseFrom(readChunk(in, ImageFormat.HEADER, 0, version));
            // Versions 2 and 3 frame alike, so no checksum would notice a flipped bit turning one
            // into the other; from version 3 the checksummed header repeats the version.
            if ((version >= 3 || header.getFormatVersion() >= 3) && header.getFormatVersion() != version) {
                throw new StateFormatException(
                        "image format version " + version + " but its header says " + header.getFormatVersion());
            }
            byte[] memory = memoryFor(header, base, expectedSha, maxPages);
            ExecutionState execution = null;
            WasiState wasi = null;
            ChannelState channels = null;
            int chunks = 1;
            long pages = 0;
            int nextPage = 0;
            boolean zeroRunsSeen = false;
            for (; ; chunks++) {
                int type = in.readUnsignedByte();
                ChunkHead head = readHead(in, type, chunks, version);
                if (type == ImageFormat.PAGES && (head.flags & ImageFormat.FLAG_DEFLATE) == 0) {
                    if (execution != null || zeroRunsSeen) {
                        throw new StateFormatException("chunk " + chunks + ": pages after the state");
                    }
                    PageRun run = readPagesInPlace(in, head, memory, nextPage, header, chunks);
                    nextPage = run.first + run.count;
                    pages += run.count;
                    continue;
                }
                byte[] raw = readBody(in, head, type, chunks);
                if (type == ImageFormat.TRAILER) {
                    ImageTrailer trailer = ImageTrailer.parseFrom(raw);
                    if (trailer.getChunkCount() != chunks || trailer.getPageCount() != pages) {
                        throw new StateFormatException(
                                "image incomplete: trailer expects " + trailer.getChunkCount() + " chunks and "
                                        + trailer.getPageCount() + " pages, found " + chunks + " and " + pages);
                    }
                    if (in.read() != -1) {
                        throw new StateFormatException("bytes after the trailer");
                    }
                    break;
                }
                switch (type) {
                    case ImageFormat.PAGES:
                        if (execution != null || zeroRunsSeen) {
                            throw new StateFormatException("chunk " + chunks + ": pages after the state");
                        }
                        int first = getInt(raw, 0, raw.length, chunks);
                        int count = getInt(raw, 4, raw.length, chunks);
                        checkRun(first, count, nextPage, header, chunks);
                        if (raw.length != 8 + (long) count * PAGE) {
                            throw new StateFormatException(
                                    "chunk " + chunks + ": " + raw.length + " bytes for " + count + " pages");
                        }
                        System.arraycopy(raw, 8, memory, first * PAGE, count * PAGE);
                        nextPage = first + count;
                        pages += count;
                        break;
                    case ImageFormat.ZERO_PAGES:
                        if (header.getBaseImageId().isEmpty()
                                || zeroRunsSeen
                                || execution != null
                                || raw.length % 8 != 0) {
                            throw new StateFormatException(
                                    "chunk " + chunks + ": misplaced or malformed zero-page runs");
                        }
                        zeroRunsSeen = true;
                        int zeroNext = 0;
                        for (int at = 0; at < raw.length; at += 8) {
                            int zFirst = getInt(raw, at, raw.length, chunks);
                            int zCount = getInt(raw, at + 4, raw.length, chunks);
                            checkRun(zFirst, zCount, zeroNext, header, chunks);
                            Arrays.fill(memory, zFirst * PAGE, (zFirst + zCount) * PAGE, (byte) 0);
                            zeroNext = zFirst + zCount;
                            pages += zCount;
                        }
                        break;
                    case ImageFormat.EXECUTION:
                        if (execution != null) {
                            throw new StateFormatException("chunk " + chunks + ": a second execution state");
                        }
                        execution = ExecutionState.parseFrom(raw);
                        break;
                    case ImageFormat.WASI:
                        if (execution == null || wasi != null) {
                            throw new StateFormatException("chunk " + chunks + ": misplaced session state");
                        }
                        wasi = WasiState.parseFrom(raw);
                        break;
                    case ImageFormat.CHANNELS:
                        if (execution == null || channels != null) {
                            throw new StateFormatException("chunk " + chunks + ": misplaced channel state");
                        }
                        channels = ChannelState.parseFrom(raw);
                        break;
                    default:
                        throw new StateFormatException("chunk " + chunks + ": unknown type " + type);
                }
            }
            if (execution == null) {
                throw new StateFormatException("image has no execution state");
            }
            boolean hasMemory = execution.getMemoriesCount() > 0;
            if (!hasMemory && header.getMemoryPages() > 0) {
                throw new StateFormatException("image carries memory pages but its execution state has no memory");
            }
            if (hasMemory
                    && (execution.getMemories(0).getPages() != header.getMemoryPages()
                            || execution.getMemories(0).getDataCount() > 0)) {
                throw new StateFormatException("execution state's memory does not match the image header");
            }
            return new Image(header, execution, wasi, channels, hasMemory ? memory : null);
        } catch (EOFException e) {
            throw new StateFormatException("image truncated", e);
        } catch (InvalidProtocolBufferException e) {
            throw new StateFormatException("image chunk corrupt: " + e.getMessage(), e);
        }
    }

    /** The array the pages land in: fresh for a full image, the base's (grown if need be) for an increment. */
    private static byte[] memoryFor(ImageHeader header, Image base, byte[] expectedSha, int maxPages) {
        String id = header.getImageId();
        String baseId = header.getBaseImageId();
        if (expectedSha != null
                && !Arrays.equals(expectedSha, header.getModuleSha256().toByteArray())) {
            throw new StateMismatchException("image " + id + " is of module sha256:"
                    + hex(header.getModuleSha256().toByteArray()) + ", not sha256:" + hex(expectedSha));
        }
        if (base == null && !baseId.isEmpty()) {
            throw new StateMismatchException(
                    "image " + id + " is an increment of image " + baseId + ", which was not given");
        }
        if (base != null && baseId.isEmpty()) {
            throw new StateMismatchException("image " + id + " is a full image, not an increment of image "
                    + base.header().getImageId());
        }
        if (base != null && !baseId.equals(base.header().getImageId())) {
            throw new StateMismatchException("image " + id + " is an increment of image " + baseId + ", not of image "
                    + base.header().getImageId());
        }
        if (base != null && !base.header().getModuleSha256().equals(header.getModuleSha256())) {
            throw new StateMismatchException("image " + id + " is of another module than its base " + baseId);
        }
        int pages = header.getMemoryPages();
        if (pages < 0 || pages > Math.min(maxPages, MemoryInstance.MAX_PAGES)) {
            throw new LimitExceededException("image " + id + " has " + Integer.toUnsignedString(pages)
                    + " memory pages, more than the limit of " + Math.min(maxPages, MemoryInstance.MAX_PAGES));
        }
        if (base == null || base.memory() == null) {
            return new byte[pages * PAGE];
        }
        if (pages < base.memory().length / PAGE) {
            throw new StateFormatException("image " + id + " has " + pages + " memory pages, fewer than its base's "
                    + base.memory().length / PAGE + " (memory never shrinks)");
        }
        return pages * PAGE == base.memory().length ? base.memory() : Arrays.copyOf(base.memory(), pages * PAGE);
    }

    private static void checkRun(int first, int count, int next, ImageHeader header, int chunk) {
        if (count <= 0 || first < next || (long) first + count > header.getMemoryPages()) {
            throw new StateFormatException("chunk " + chunk + ": pages " + first + "+" + count
                    + " out of order or beyond " + header.getMemoryPages() + " pages");
        }
    }

    /**
     * A chunk's framing: its flags, stored and raw lengths, the CRC-32C it claims, and the checksum
     * so far (over the framing, from version 2), which the stored bytes complete.
     */
    private static final class ChunkHead {
        final int flags;
        final int stored;
        final int raw;
        final int crc;
        final CRC32C check;

        ChunkHead(int flags, int stored, int raw, int crc, CRC32C check) {
            this.flags = flags;
            this.stored = stored;
            this.raw = raw;
            this.crc = crc;
            this.check = check;
        }
    }

    static byte[] readChunk(DataInputStream in, int type, int index, int version) throws IOException {
        return readBody(in, readHead(in, type, index, version), type, index);
    }

    private static ChunkHead readHead(DataInputStream in, int type, int index, int version) throws IOException {
        int flags = in.readUnsignedByte();
        int stored = in.readInt();
        int raw = in.readInt();
        int crc = in.readInt();
        if (stored < 0 || raw < 0 || stored > ImageFormat.MAX_CHUNK || raw > ImageFormat.MAX_CHUNK) {
            throw new StateFormatException("chunk " + index + " (type " + type + "): implausible length");
        }
        if ((flags & ~ImageFormat.KNOWN_FLAGS) != 0) {
            throw new StateFormatException(
                    "chunk " + index + " (type " + type + "): unknown flags 0x" + Integer.toHexString(flags));
        }
        return new ChunkHead(flags, stored, raw, crc, ImageFormat.frameChecksum(version, type, flags, stored, raw));
    }

    /**
     * Reads a plain run of pages straight into {@code memory} (no chunk-sized array per chunk: at
     * 4 MiB each, those were G1 humongous objects and a 1 GiB restore spent its time collecting
     * them), checksumming it there; returns its page count. A run whose place or length is wrong is
     * read aside first, so that damage is still reported as a checksum mismatch when it is one.
     */
    private static PageRun readPagesInPlace(
            DataInputStream in, ChunkHead head, byte[] memory, int nextPage, ImageHeader header, int index)
            throws IOException {
        if (head.raw != head.stored || head.stored < 8) {
            readBody(in, head, ImageFormat.PAGES, index); // fails on a length mismatch
            throw new StateFormatException("chunk " + index + ": too short");
        }
        byte[] runStart = new byte[8];
        in.readFully(runStart);
        int first = getInt(runStart, 0, 8, index);
        int count = getInt(runStart, 4, 8, index);
        boolean placed = count > 0
                && first >= nextPage
                && (long) first + count <= header.getMemoryPages()
                && head.stored == 8 + (long) count * PAGE;
        CRC32C crc = head.check;
        crc.update(runStart);
        if (!placed) {
            byte[] rest = new byte[head.stored - 8];
            in.readFully(rest);
            crc.update(rest);
            if ((int) crc.getValue() != head.crc) {
                throw new StateFormatException(
                        "chunk " + index + " (type " + ImageFormat.PAGES + "): checksum mismatch");
            }
            checkRun(first, count, nextPage, header, index);
            throw new StateFormatException("chunk " + index + ": " + head.stored + " bytes for " + count + " pages");
        }
        in.readFully(memory, first * PAGE, count * PAGE);
        crc.update(memory, first * PAGE, count * PAGE);
        if ((int) crc.getValue() != head.crc) {
            throw new StateFormatException("chunk " + index + " (type " + ImageFormat.PAGES + "): checksum mismatch");
        }
        return new PageRun(first, count);
    }

    private record PageRun(int first, int count) {}

    private static byte[] readBody(DataInputStream in, ChunkHead head, int type, int index) throws IOException {
        int flags = head.flags;
        int stored = head.stored;
        int raw = head.raw;
        int crc = head.crc;
        byte[] bytes = new byte[stored];
        in.readFully(bytes);
        CRC32C c = head.check;
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

    private static int getInt(byte[] b, int at, int length, int chunk) {
        if (at + 4 > length) {
            throw new StateFormatException("chunk " + chunk + ": too short");
        }
        return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
