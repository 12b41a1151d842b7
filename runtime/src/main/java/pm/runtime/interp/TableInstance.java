package pm.runtime.interp;

import java.util.Arrays;

/** A table of references, each a function handle of the store, an extern value, or null (-1). */
public final class TableInstance {
    final byte elementType;
    private final long max;
    long[] elements;

    public TableInstance(byte elementType, int initial, long max) {
        this.elementType = elementType;
        // Entries are one long each: cap growth so a guest cannot ask for gigabytes of table.
        this.max = Math.min(max, 10_000_000L);
        this.elements = new long[initial];
        Arrays.fill(elements, ValueTypes.NULL_REF);
    }

    public byte elementType() {
        return elementType;
    }

    public int size() {
        return elements.length;
    }

    public long max() {
        return max;
    }

    public long get(int i) {
        return elements[i];
    }

    public void set(int i, long ref) {
        elements[i] = ref;
    }

    /** Grows by {@code delta} entries set to {@code init}; returns the old size or -1. */
    public int grow(int delta, long init) {
        int old = elements.length;
        if (delta < 0 || (long) old + delta > max) {
            return -1;
        }
        elements = Arrays.copyOf(elements, old + delta);
        Arrays.fill(elements, old, old + delta, init);
        return old;
    }
}
