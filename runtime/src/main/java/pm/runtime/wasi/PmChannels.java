package pm.runtime.wasi;

import java.nio.charset.StandardCharsets;
import pm.runtime.chan.Channels;
import pm.runtime.interp.HostFunctionRef;
import pm.runtime.interp.HostSuspension;
import pm.runtime.interp.Imports;
import pm.runtime.interp.ValueTypes;

/**
 * The {@code pm} host module: messages between processes, over a process's {@link Channels}. Every
 * function answers a WASI errno.
 *
 * <ul>
 *   <li>{@code send(to_ptr, to_len, data_ptr, data_len)}: {@code to} is {@code "<process-id>"} (the
 *       default mailbox) or {@code "<process-id>/<mailbox>"}, split at the last '/'. Queues the
 *       message in the outbox and returns at once; the agent delivers it, in order, exactly once,
 *       wherever the receiver runs. EAGAIN while the outbox is full (1024 messages or 4 MiB),
 *       EMSGSIZE over 1 MiB, EINVAL for an empty or over-long process id. A receiver that does
 *       not exist is not an error: the message waits in the outbox until it does.
 *   <li>{@code recv(box_ptr, box_len, buf_ptr, buf_len, len_out, from_ptr, from_cap, from_len_out)}:
 *       takes the oldest message of the own mailbox {@code box} ("" = default), writing its payload
 *       to {@code buf}, its length to {@code *len_out}, the sender's id to {@code from} and its
 *       length to {@code *from_len_out}. When the mailbox is empty the process parks, holding no
 *       thread, until a delivery wakes it. E2BIG when the payload or the sender's id does not fit:
 *       both lengths are written and the message stays queued.
 *   <li>{@code try_recv(...)}: the same, but EAGAIN instead of parking.
 * </ul>
 */
public final class PmChannels {
    public static final String MODULE = "pm";
    /** Longest process id (as the agent accepts them) and mailbox name, in UTF-8 bytes. */
    static final int MAX_NAME_BYTES = 128;

    private static final byte I = ValueTypes.I32;

    private final Channels channels;

    public PmChannels(Channels channels) {
        this.channels = channels;
    }

    public Imports imports() {
        Imports.Builder b = Imports.builder();
        function(b, "send", 4, (m, a) -> send(m, a[0], a[1], a[2], a[3]));
        function(b, "recv", 8, (m, a) -> receive(m, a, true));
        function(b, "try_recv", 8, (m, a) -> receive(m, a, false));
        return b.build();
    }

    private interface Body {
        Errno call(LazyGuestMemory m, int[] args);
    }

    private static void function(Imports.Builder b, String name, int arity, Body body) {
        byte[] params = new byte[arity];
        java.util.Arrays.fill(params, I);
        b.function(MODULE, name, new HostFunctionRef(name, params, new byte[] {I}, (caller, args) -> {
            int[] a = new int[args.length];
            for (int i = 0; i < args.length; i++) {
                a[i] = (int) args[i];
            }
            try {
                return new long[] {body.call(new LazyGuestMemory(caller), a).code()};
            } catch (ErrnoException e) {
                return new long[] {e.errno().code()};
            }
        }));
    }

    private Errno send(LazyGuestMemory m, int toPtr, int toLen, int dataPtr, int dataLen) {
        GuestMemory mem = m.get();
        if (Integer.toUnsignedLong(dataLen) > Channels.MAX_MESSAGE_BYTES) {
            return Errno.EMSGSIZE;
        }
        if (Integer.toUnsignedLong(toLen) > 2L * MAX_NAME_BYTES + 1) {
            return Errno.EINVAL;
        }
        String to = mem.string(toPtr, toLen);
        int slash = to.lastIndexOf('/');
        String process = slash < 0 ? to : to.substring(0, slash);
        String mailbox = slash < 0 ? "" : to.substring(slash + 1);
        if (!validName(process, false) || !validName(mailbox, true)) {
            return Errno.EINVAL;
        }
        byte[] payload = new byte[dataLen];
        System.arraycopy(mem.array(), mem.range(dataPtr, dataLen), payload, 0, dataLen);
        return channels.send(process, mailbox, payload) ? Errno.ESUCCESS : Errno.EAGAIN;
    }

    private static boolean validName(String name, boolean mayBeEmpty) {
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        return (mayBeEmpty || bytes > 0)
                && bytes <= MAX_NAME_BYTES
                && name.chars().noneMatch(c -> c < 0x20 || c == 0x7f);
    }

    private Errno receive(LazyGuestMemory m, int[] a, boolean block) {
        channels.waiting(false);
        GuestMemory mem = m.get();
        int boxPtr = a[0];
        int boxLen = a[1];
        int buf = a[2];
        int bufLen = a[3];
        int lenOut = a[4];
        int from = a[5];
        int fromCap = a[6];
        int fromLenOut = a[7];
        if (Integer.toUnsignedLong(boxLen) > MAX_NAME_BYTES) {
            return Errno.EINVAL;
        }
        String box = mem.string(boxPtr, boxLen);
        // Every guest range is checked before anything is taken, so a bad pointer loses no message.
        mem.range(buf, Integer.toUnsignedLong(bufLen));
        mem.range(lenOut, 4);
        mem.range(from, Integer.toUnsignedLong(fromCap));
        mem.range(fromLenOut, 4);
        Channels.Incoming next = channels.peek(box);
        if (next == null) {
            if (!block) {
                return Errno.EAGAIN;
            }
            // Parks before the call, which runs again once a delivery wakes the process.
            channels.waiting(true);
            throw new HostSuspension("waiting for a message in mailbox \"" + box + "\"");
        }
        byte[] sender = next.from().getBytes(StandardCharsets.UTF_8);
        mem.putI32(lenOut, next.payload().length);
        mem.putI32(fromLenOut, sender.length);
        if (Integer.toUnsignedLong(bufLen) < next.payload().length || Integer.toUnsignedLong(fromCap) < sender.length) {
            return Errno.E2BIG;
        }
        mem.write(buf, next.payload(), 0, next.payload().length);
        mem.write(from, sender, 0, sender.length);
        channels.take(box);
        return Errno.ESUCCESS;
    }
}
