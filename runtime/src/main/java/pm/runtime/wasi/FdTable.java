package pm.runtime.wasi;

import java.util.ArrayList;
import java.util.List;

/** The descriptors of one process, lowest free number first, as POSIX hands them out. */
final class FdTable {
    private final List<Fd> slots = new ArrayList<>();
    private final int maxOpen;
    private int open;

    FdTable(int maxOpen) {
        this.maxOpen = maxOpen;
    }

    int add(Fd fd) {
        if (open >= maxOpen) {
            throw new ErrnoException(Errno.EMFILE, "open handle limit of " + maxOpen + " reached");
        }
        open++;
        for (int i = 0; i < slots.size(); i++) {
            if (slots.get(i) == null) {
                slots.set(i, fd);
                return i;
            }
        }
        slots.add(fd);
        return slots.size() - 1;
    }

    /** Places a restored descriptor at its old number. */
    void put(int fd, Fd f) {
        while (slots.size() <= fd) {
            slots.add(null);
        }
        if (slots.get(fd) != null) {
            throw new pm.runtime.StateMismatchException("descriptor " + fd + " appears twice");
        }
        if (open >= maxOpen) {
            throw new pm.runtime.StateMismatchException("state holds more than the open handle limit of " + maxOpen);
        }
        slots.set(fd, f);
        open++;
    }

    Fd get(int fd) {
        Fd f = fd >= 0 && fd < slots.size() ? slots.get(fd) : null;
        if (f == null) {
            throw new ErrnoException(Errno.EBADF, "bad file descriptor " + fd);
        }
        return f;
    }

    void close(int fd) {
        get(fd);
        slots.set(fd, null);
        open--;
    }

    /** Moves {@code from} onto {@code to}, closing what {@code to} held (fd_renumber). */
    void renumber(int from, int to) {
        Fd f = get(from);
        get(to);
        slots.set(to, f);
        slots.set(from, null);
        open--;
    }

    int openCount() {
        return open;
    }

    /** Every open descriptor by number (null for free slots). */
    List<Fd> slots() {
        return slots;
    }
}
