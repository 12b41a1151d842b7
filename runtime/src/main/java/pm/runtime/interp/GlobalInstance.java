package pm.runtime.interp;

/** A global variable: raw value bits plus its type. */
public final class GlobalInstance {
    final byte type;
    final boolean mutable;
    long value;

    public GlobalInstance(byte type, boolean mutable, long value) {
        this.type = type;
        this.mutable = mutable;
        this.value = value;
    }

    public byte type() {
        return type;
    }

    public boolean mutable() {
        return mutable;
    }

    public long value() {
        return value;
    }

    public void setValue(long value) {
        this.value = value;
    }
}
