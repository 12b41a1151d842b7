package pm.runtime.wasi;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import pm.runtime.interp.Instance;
import pm.runtime.interp.MemoryInstance;

/**
 * Little-endian access to the calling instance's memory for host functions. Any access outside the
 * memory is the guest's fault and answers EFAULT instead of trapping the machine.
 */
final class GuestMemory {
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final MemoryInstance memory;
    private final byte[] bytes;
    private final int size; // the array may be longer than the memory (its reserve)

    GuestMemory(Instance caller) {
        if (caller == null || caller.memory() == null) {
            throw new ErrnoException(Errno.EFAULT, "the caller has no memory");
        }
        this.memory = caller.memory();
        this.bytes = memory.bytes();
        this.size = memory.byteSize();
    }

    /** Records that {@code length} bytes at {@code address} were written through {@link #array}. */
    void written(int address, int length) {
        memory.markDirty(address, length);
    }

    /** Checks that [address, address+length) lies in memory; returns the address as an index. */
    int range(int address, long length) {
        long end = (address & 0xFFFF_FFFFL) + length;
        if (length < 0 || end > size) {
            throw new ErrnoException(
                    Errno.EFAULT,
                    "guest range " + Integer.toUnsignedString(address) + "+" + length + " outside memory");
        }
        return address;
    }

    byte[] array() {
        return bytes;
    }

    int u8(int address) {
        return bytes[range(address, 1)] & 0xFF;
    }

    void putU8(int address, int v) {
        bytes[range(address, 1)] = (byte) v;
        written(address, 1);
    }

    void putU16(int address, int v) {
        SHORT.set(bytes, range(address, 2), (short) v);
        written(address, 2);
    }

    int u16(int address) {
        return (short) SHORT.get(bytes, range(address, 2)) & 0xFFFF;
    }

    int i32(int address) {
        return (int) INT.get(bytes, range(address, 4));
    }

    void putI32(int address, int v) {
        INT.set(bytes, range(address, 4), v);
        written(address, 4);
    }

    long i64(int address) {
        return (long) LONG.get(bytes, range(address, 8));
    }

    void putI64(int address, long v) {
        LONG.set(bytes, range(address, 8), v);
        written(address, 8);
    }

    void write(int address, byte[] src, int off, int len) {
        System.arraycopy(src, off, bytes, range(address, len), len);
        written(address, len);
    }

    String string(int address, int length) {
        return new String(bytes, range(address, length & 0xFFFF_FFFFL), length, StandardCharsets.UTF_8);
    }
}
