package pm.runtime.wasi;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * Everything a WASI preview 1 process holds through its imports: args, environment, descriptors,
 * preopened in-memory file systems, stdio endpoints, clocks and the poll in progress. The state is
 * data (the host endpoints excepted) so a process image can carry it. Owned by the thread running
 * the process.
 */
public final class WasiSession {
    /** All rights: each descriptor keeps what its kind may hold ({@link Rights}). */
    static final long ALL_RIGHTS = 0x1FFF_FFFFL;

    final List<String> args;
    final List<String> environment;
    final Map<String, FileSystem> preopens;
    final FdTable fds;
    final OutputSink stdout;
    final OutputSink stderr;
    final InputSource stdin;
    final LongSupplier realtimeNanos;
    final LongSupplier hostMonotonicNanos;
    final Random random;
    /** Rung after the guest sends a message: the host's channel dispatcher (a host endpoint, like stdout). */
    final Runnable outboxDoorbell;

    long stdinPosition;
    long monotonicOffset; // guest monotonic = host monotonic + offset: stays monotonic across hosts
    long pendingWakeAt = -1; // guest monotonic deadline of the poll_oneoff in progress, -1 if none
    volatile boolean outputWaiting; // parked in a write its output sink is not ready for; read by any thread
    long pendingPollBase; // guest monotonic time the poll in progress started

    private WasiSession(Builder b) {
        this(b, true);
    }

    /** {@code standardDescriptors=false}: a restore places every descriptor itself. */
    WasiSession(Builder b, boolean standardDescriptors) {
        this.args = List.copyOf(b.args);
        this.environment = List.copyOf(b.environment);
        this.preopens = new LinkedHashMap<>(b.preopens);
        this.fds = new FdTable(b.maxOpenHandles);
        this.stdout = b.stdout;
        this.stderr = b.stderr;
        this.stdin = b.stdin;
        this.realtimeNanos = b.realtimeNanos;
        this.hostMonotonicNanos = b.monotonicNanos;
        this.random = b.random;
        this.outboxDoorbell = b.outboxDoorbell;
        if (!standardDescriptors) {
            return;
        }
        fds.add(new Fd(Fd.Kind.STDIN, null, null, null, 0, ALL_RIGHTS, 0));
        fds.add(new Fd(Fd.Kind.STDOUT, null, null, null, 0, ALL_RIGHTS, 0));
        fds.add(new Fd(Fd.Kind.STDERR, null, null, null, 0, ALL_RIGHTS, 0));
        preopens.forEach(
                (path, fs) -> fds.add(new Fd(Fd.Kind.PREOPEN, path, fs, fs.root(), 0, ALL_RIGHTS, ALL_RIGHTS)));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The guest's monotonic clock now. */
    long monotonicNow() {
        return hostMonotonicNanos.getAsLong() + monotonicOffset;
    }

    /** When the poll in progress may complete (guest monotonic nanos), or -1 if the process is not sleeping. */
    public long wakeAt() {
        return pendingWakeAt;
    }

    /** Nanoseconds until the sleeping process may run again (0 if it may run now). */
    public long nanosUntilWake() {
        return pendingWakeAt < 0 ? 0 : Math.max(0, pendingWakeAt - monotonicNow());
    }

    /** Whether the process waits in a write for its output sink to be ready (only a wake ends that wait). */
    public boolean outputWaiting() {
        return outputWaiting;
    }

    /** The session as data, for a process image (host endpoints excluded). */
    public pm.v1.WasiState capture() {
        return WasiSessionCodec.capture(this);
    }

    /** What the host rings when the guest has sent a message (see {@link Builder#outboxDoorbell}). */
    public Runnable outboxDoorbell() {
        return outboxDoorbell;
    }

    /** The preopened file system mounted at a guest path, or null. */
    public FileSystem preopen(String guestPath) {
        return preopens.get(guestPath);
    }

    /** Settings of a new session; defaults: no args, no environment, empty stdin, output discarded. */
    public static final class Builder {
        private final List<String> args = new ArrayList<>();
        private final List<String> environment = new ArrayList<>();
        private final Map<String, FileSystem> preopens = new LinkedHashMap<>();
        private OutputSink stdout = (b, o, l) -> {};
        private OutputSink stderr = (b, o, l) -> {};
        private InputSource stdin = InputSource.empty();
        private LongSupplier realtimeNanos = () -> System.currentTimeMillis() * 1_000_000L;
        private LongSupplier monotonicNanos = System::nanoTime;
        private Random random = new SecureRandom();
        private int maxOpenHandles = 1024;
        private Runnable outboxDoorbell = () -> {};
        private BlobResolver blobs = BlobResolver.none();

        public Builder args(List<String> values) {
            args.addAll(values);
            return this;
        }

        /** Environment entries as "NAME=value". */
        public Builder environment(List<String> entries) {
            environment.addAll(entries);
            return this;
        }

        public Builder preopen(String guestPath, FileSystem fs) {
            preopens.put(guestPath, fs);
            return this;
        }

        public Builder stdout(OutputSink sink) {
            this.stdout = sink;
            return this;
        }

        public Builder stderr(OutputSink sink) {
            this.stderr = sink;
            return this;
        }

        public Builder stdin(InputSource source) {
            this.stdin = source;
            return this;
        }

        public Builder clocks(LongSupplier realtimeNanos, LongSupplier monotonicNanos) {
            this.realtimeNanos = realtimeNanos;
            this.monotonicNanos = monotonicNanos;
            return this;
        }

        public Builder random(Random random) {
            this.random = random;
            return this;
        }

        public Builder maxOpenHandles(int max) {
            this.maxOpenHandles = max;
            return this;
        }

        /** Run, on the guest's thread, after each message the guest sends through the {@code pm} module. */
        public Builder outboxDoorbell(Runnable doorbell) {
            this.outboxDoorbell = java.util.Objects.requireNonNull(doorbell, "doorbell");
            return this;
        }

        /**
         * Where a restore finds the blobs that files of the image name by hash (see
         * {@link FileSystem#createFile(Node, String, BlobContent)}). Default: none, so only an
         * image without such files restores.
         */
        public Builder blobs(BlobResolver resolver) {
            this.blobs = java.util.Objects.requireNonNull(resolver, "resolver");
            return this;
        }

        public WasiSession build() {
            return new WasiSession(this);
        }

        /** A session continuing {@code state}, bound to this builder's host endpoints (args and preopens come from the state). */
        public WasiSession restore(pm.v1.WasiState state, long maxFileSystemBytes) {
            return WasiSessionCodec.restore(state, this, maxFileSystemBytes);
        }

        LongSupplier realtime() {
            return realtimeNanos;
        }

        BlobResolver blobResolver() {
            return blobs;
        }

        Builder clearForRestore() {
            args.clear();
            environment.clear();
            preopens.clear();
            return this;
        }
    }
}
