package pm.runtime.image;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import pm.runtime.StateFormatException;
import pm.v1.ExecutionState;

/**
 * A self-checking byte form of one {@link ExecutionState}: magic, version, payload length and a
 * CRC32C of the payload before it. A blob that is truncated, extended or altered anywhere is
 * refused with a {@link StateFormatException} before any of it is interpreted.
 */
public final class StateBlob {
    private static final int MAGIC = 0x504D5354; // "PMST"
    private static final int VERSION = 1;
    private static final int HEADER = 16;

    private StateBlob() {}

    public static byte[] encode(ExecutionState state) {
        byte[] payload = state.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(payload);
        return ByteBuffer.allocate(HEADER + payload.length)
                .putInt(MAGIC)
                .putInt(VERSION)
                .putInt(payload.length)
                .putInt((int) crc.getValue())
                .put(payload)
                .array();
    }

    public static ExecutionState decode(byte[] blob) {
        if (blob.length < HEADER) {
            throw new StateFormatException("state blob truncated: " + blob.length + " bytes, header needs " + HEADER);
        }
        ByteBuffer in = ByteBuffer.wrap(blob);
        if (in.getInt() != MAGIC) {
            throw new StateFormatException("not a state blob: bad magic");
        }
        int version = in.getInt();
        if (version != VERSION) {
            throw new StateFormatException("unsupported state blob version " + version + " (expected " + VERSION + ")");
        }
        int length = in.getInt();
        int expectedCrc = in.getInt();
        if (length != blob.length - HEADER) {
            throw new StateFormatException("state blob truncated or extended: header says " + length
                    + " payload bytes, found " + (blob.length - HEADER));
        }
        CRC32C crc = new CRC32C();
        crc.update(blob, HEADER, length);
        if ((int) crc.getValue() != expectedCrc) {
            throw new StateFormatException("state blob corrupt: checksum mismatch");
        }
        try {
            return ExecutionState.parseFrom(ByteBuffer.wrap(blob, HEADER, length));
        } catch (InvalidProtocolBufferException e) {
            throw new StateFormatException("state blob corrupt: " + e.getMessage(), e);
        }
    }
}
