package pm.runtime.image;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import pm.runtime.StateFormatException;
import pm.v1.ImageHeader;

/**
 * An image's framing without its meaning (see {@link ImageFormat}): the preamble (magic and
 * version), then each chunk as the exact bytes it was framed in, frame header included, so a
 * chunk can be stored on its own and put back byte for byte. Splitting checks the framing — the
 * magic, the version, every length — but not the checksums or the contents: {@link ImageReader}
 * checks those when the image is read. The one exception is {@link #header}, which verifies the
 * header chunk it decodes, because whoever asks for the ids acts on them.
 */
public final class ImageFrames {
    /** Bytes before the first chunk: the magic (8) and the format version (4). */
    public static final int PREAMBLE_BYTES = 12;
    /** Bytes of a chunk's frame before its stored bytes: type, flags, two lengths, checksum. */
    public static final int FRAME_HEADER_BYTES = ImageFormat.CHUNK_HEADER;
    /** The most stored bytes a chunk may claim. */
    public static final int MAX_CHUNK_BYTES = ImageFormat.MAX_CHUNK;

    private ImageFrames() {}

    /** One framed chunk: its type and its bytes as they appear in the image, frame header first. */
    public record Frame(int type, byte[] bytes) {
        public Frame {
            if (bytes.length < FRAME_HEADER_BYTES || (bytes[0] & 0xFF) != type) {
                throw new IllegalArgumentException("not a framed chunk of type " + type);
            }
        }

        public boolean isHeader() {
            return type == ImageFormat.HEADER;
        }

        public boolean isTrailer() {
            return type == ImageFormat.TRAILER;
        }
    }

    /** Where a framed chunk's bytes come from when an image is put back together; opened only when reached. */
    @FunctionalInterface
    public interface FrameSource {
        InputStream open() throws IOException;
    }

    /** Starts splitting {@code in}: reads and checks the preamble. */
    public static Splitter split(InputStream in) throws IOException {
        return new Splitter(in);
    }

    /** Reads the framed chunks of one image, in order, up to and including its trailer. Not thread-safe. */
    public static final class Splitter {
        private final DataInputStream in;
        private final byte[] preamble = new byte[PREAMBLE_BYTES];
        private int index;
        private boolean done;

        private Splitter(InputStream stream) throws IOException {
            this.in = new DataInputStream(stream);
            try {
                in.readFully(preamble);
            } catch (EOFException e) {
                throw new StateFormatException("image truncated", e);
            }
            DataInputStream p = new DataInputStream(new ByteArrayInputStream(preamble));
            if (p.readLong() != ImageFormat.MAGIC) {
                throw new StateFormatException("not a process image: bad magic");
            }
            int version = p.readInt();
            if (version < ImageFormat.OLDEST_VERSION || version > ImageFormat.VERSION) {
                throw new StateFormatException("unsupported image format version " + version + " (expected "
                        + ImageFormat.OLDEST_VERSION + " to " + ImageFormat.VERSION + ")");
            }
        }

        /** The magic and version, as read. */
        public byte[] preamble() {
            return preamble.clone();
        }

        /** The next framed chunk, or null once the trailer has been returned. The stream is read no further than the trailer. */
        public Frame next() throws IOException {
            if (done) {
                return null;
            }
            try {
                int type = in.readUnsignedByte();
                int flags = in.readUnsignedByte();
                int stored = in.readInt();
                int raw = in.readInt();
                int crc = in.readInt();
                if ((flags & ~ImageFormat.KNOWN_FLAGS) != 0) {
                    throw new StateFormatException(
                            "chunk " + index + " (type " + type + "): unknown flags 0x" + Integer.toHexString(flags));
                }
                if (stored < 0
                        || raw < 0
                        || stored > ImageFormat.MAX_CHUNK
                        || raw > ImageFormat.MAX_CHUNK
                        || ((flags & ImageFormat.FLAG_DEFLATE) == 0 && raw != stored)) {
                    throw new StateFormatException("chunk " + index + " (type " + type + "): implausible length");
                }
                byte[] bytes = new byte[FRAME_HEADER_BYTES + stored];
                bytes[0] = (byte) type;
                bytes[1] = (byte) flags;
                putInt(bytes, 2, stored);
                putInt(bytes, 6, raw);
                putInt(bytes, 10, crc);
                in.readFully(bytes, FRAME_HEADER_BYTES, stored);
                index++;
                done = type == ImageFormat.TRAILER;
                return new Frame(type, bytes);
            } catch (EOFException e) {
                throw new StateFormatException("image truncated in or before chunk " + index, e);
            }
        }

        /** Every remaining chunk, up to and including the trailer. */
        public List<Frame> rest() throws IOException {
            List<Frame> frames = new ArrayList<>();
            for (Frame f = next(); f != null; f = next()) {
                frames.add(f);
            }
            return frames;
        }
    }

    /**
     * The image header a HEADER frame holds, after checking its checksum and lengths. A frame does
     * not say its image's version, so the checksum may be of either version; {@link ImageReader}
     * holds each image to its own when it reads it.
     */
    public static ImageHeader header(Frame frame) throws IOException {
        if (!frame.isHeader()) {
            throw new StateFormatException("chunk of type " + frame.type() + " is not an image header");
        }
        try {
            byte[] raw;
            try {
                raw = ImageReader.readChunk(headerStream(frame), ImageFormat.HEADER, 0, ImageFormat.VERSION);
            } catch (StateFormatException e) {
                raw = ImageReader.readChunk(headerStream(frame), ImageFormat.HEADER, 0, ImageFormat.OLDEST_VERSION);
            }
            return ImageHeader.parseFrom(raw);
        } catch (EOFException e) {
            throw new StateFormatException("image header truncated", e);
        } catch (InvalidProtocolBufferException e) {
            throw new StateFormatException("image header corrupt: " + e.getMessage(), e);
        }
    }

    private static DataInputStream headerStream(Frame frame) {
        return new DataInputStream(new ByteArrayInputStream(frame.bytes(), 1, frame.bytes().length - 1));
    }

    /** The image made of {@code preamble} and the framed chunks {@code frames}, each opened only when the reader reaches it. */
    public static InputStream join(byte[] preamble, List<? extends FrameSource> frames) {
        return new Joined(preamble, List.copyOf(frames));
    }

    /** The image made of {@code preamble} and {@code frames}, in memory. */
    public static InputStream joinFrames(byte[] preamble, List<Frame> frames) {
        List<FrameSource> sources = new ArrayList<>(frames.size());
        for (Frame f : frames) {
            sources.add(() -> new ByteArrayInputStream(f.bytes()));
        }
        return join(preamble, sources);
    }

    /** Concatenation that opens each part when it is reached and closes it when it is exhausted. */
    private static final class Joined extends InputStream {
        private final List<? extends FrameSource> frames;
        private InputStream current;
        private int next;
        private boolean closed;

        Joined(byte[] preamble, List<? extends FrameSource> frames) {
            this.frames = frames;
            this.current = new ByteArrayInputStream(preamble.clone());
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("stream closed");
            }
            if (len == 0) {
                return 0;
            }
            while (current != null) {
                int n = current.read(b, off, len);
                if (n >= 0) {
                    return n;
                }
                current.close();
                current = next < frames.size() ? frames.get(next++).open() : null;
            }
            return -1;
        }

        @Override
        public void close() throws IOException {
            closed = true;
            if (current != null) {
                current.close();
                current = null;
            }
        }
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
