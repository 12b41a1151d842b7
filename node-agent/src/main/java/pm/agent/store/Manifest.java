package pm.agent.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * What one checkpoint is: the image's preamble and the ordered chunks (by hash and length) that
 * follow it, with the ids, sizes, time and the caller's opaque attachment. On disk: a magic, a
 * version, the fields (big-endian; strings and byte strings length-prefixed), then a CRC32C of
 * everything before it, so a manifest damaged in any byte is refused rather than half believed.
 */
record Manifest(
        String processId,
        String checkpointId,
        String baseCheckpointId,
        long createdMillis,
        long bytes,
        long newBytes,
        byte[] attachment,
        byte[] preamble,
        List<Chunk> chunks) {
    private static final long MAGIC = 0x504D4D414E494631L; // "PMMANIF1"
    private static final int VERSION = 1;
    private static final HexFormat HEX = HexFormat.of();

    /** One framed chunk of the image, stored in the {@link ChunkStore} under {@code hash}. */
    record Chunk(String hash, int length) {
        Chunk {
            if (!ChunkStore.isHash(hash) || length < 0) {
                throw new IllegalArgumentException("bad chunk reference " + hash + " of " + length + " bytes");
            }
        }
    }

    Manifest {
        chunks = List.copyOf(chunks);
    }

    boolean isFull() {
        return baseCheckpointId.isEmpty();
    }

    CheckpointRecord record() {
        return new CheckpointRecord(
                processId, checkpointId, baseCheckpointId, bytes, newBytes, createdMillis, attachment);
    }

    byte[] encode() {
        try {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream(256 + attachment.length + chunks.size() * 36);
            DataOutputStream out = new DataOutputStream(buffer);
            out.writeLong(MAGIC);
            out.writeInt(VERSION);
            writeString(out, processId);
            writeString(out, checkpointId);
            writeString(out, baseCheckpointId);
            out.writeLong(createdMillis);
            out.writeLong(bytes);
            out.writeLong(newBytes);
            writeBytes(out, attachment);
            writeBytes(out, preamble);
            out.writeInt(chunks.size());
            for (Chunk c : chunks) {
                out.write(HEX.parseHex(c.hash()));
                out.writeInt(c.length());
            }
            CRC32C crc = new CRC32C();
            crc.update(buffer.toByteArray());
            out.writeInt((int) crc.getValue());
            return buffer.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
    }

    /** Decodes a manifest; {@code name} only labels the error. Throws CorruptCheckpointException for any damage. */
    static Manifest decode(byte[] data, String name) {
        if (data.length < 16) {
            throw new CorruptCheckpointException("manifest " + name + " is corrupt: only " + data.length + " bytes");
        }
        CRC32C crc = new CRC32C();
        crc.update(data, 0, data.length - 4);
        int stored = ((data[data.length - 4] & 0xFF) << 24)
                | ((data[data.length - 3] & 0xFF) << 16)
                | ((data[data.length - 2] & 0xFF) << 8)
                | (data[data.length - 1] & 0xFF);
        if ((int) crc.getValue() != stored) {
            throw new CorruptCheckpointException("manifest " + name + " is corrupt: checksum mismatch");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, 0, data.length - 4));
        try {
            if (in.readLong() != MAGIC) {
                throw new CorruptCheckpointException("manifest " + name + " is corrupt: bad magic");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new CorruptCheckpointException("manifest " + name + " has unknown version " + version);
            }
            String processId = readString(in);
            String checkpointId = readString(in);
            String base = readString(in);
            long created = in.readLong();
            long bytes = in.readLong();
            long newBytes = in.readLong();
            byte[] attachment = readBytes(in);
            byte[] preamble = readBytes(in);
            int count = in.readInt();
            if (count < 0 || count > in.available() / 36) {
                throw new CorruptCheckpointException("manifest " + name + " is corrupt: " + count + " chunks");
            }
            List<Chunk> chunks = new ArrayList<>(count);
            byte[] hash = new byte[32];
            for (int i = 0; i < count; i++) {
                in.readFully(hash);
                chunks.add(new Chunk(HEX.formatHex(hash), in.readInt()));
            }
            if (in.available() != 0) {
                throw new CorruptCheckpointException("manifest " + name + " is corrupt: trailing bytes");
            }
            return new Manifest(processId, checkpointId, base, created, bytes, newBytes, attachment, preamble, chunks);
        } catch (IOException | IllegalArgumentException e) {
            throw new CorruptCheckpointException("manifest " + name + " is corrupt: " + e.getMessage(), e);
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        writeBytes(out, s.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        return new String(readBytes(in), StandardCharsets.UTF_8);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IOException("a field claims " + length + " bytes, " + in.available() + " remain");
        }
        byte[] b = new byte[length];
        in.readFully(b);
        return b;
    }
}
