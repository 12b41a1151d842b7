package pm.runtime.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.BitSet;
import java.util.List;
import java.util.UUID;
import pm.runtime.LimitExceededException;
import pm.runtime.LinkException;
import pm.runtime.TrapException;
import pm.runtime.chan.Channels;
import pm.runtime.image.ImageReader;
import pm.runtime.image.ImageWriter;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.FunctionRef;
import pm.runtime.interp.Imports;
import pm.runtime.interp.Instance;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.interp.MemoryBudget;
import pm.runtime.interp.MemoryInstance;
import pm.runtime.interp.Snapshots;
import pm.runtime.interp.Store;
import pm.runtime.wasi.PmChannels;
import pm.runtime.wasi.ProcessExit;
import pm.runtime.wasi.WasiPreview1;
import pm.runtime.wasi.WasiSession;
import pm.v1.ChannelState;
import pm.v1.ExecutionState;
import pm.v1.ImageHeader;
import pm.v1.ProcessLimits;
import pm.v1.WasiState;

/**
 * One WASI command process: a module instance with its machine and session, under limits, its
 * memory charged to a {@link MemoryBudget} shared with the other processes of its host. It runs
 * in fuel slices on whichever thread calls {@link #run}; {@link #requestFreeze} may come from any
 * thread. A trap or an exceeded limit ends this process with a reason and touches nothing else.
 * Between slices it can be written as an image and brought back from one, in any JVM. Its
 * {@link Channels} (the {@code pm} module's state) travel with it and are the one part other
 * threads may touch while it runs (see there).
 */
public final class WasiProcess {
    /** Where the process stands after a slice. */
    public enum State {
        RUNNABLE,
        SLEEPING,
        FROZEN,
        EXITED,
        FAILED
    }

    /** The export a WASI command runs. */
    private static final String ENTRY = "_start";

    private final CompiledModule module;
    private final Limits limits;
    private final long maxFileSystemBytes;
    private final WasiSession session;
    private final Channels channels;
    private final Instance instance;
    private final Machine machine;
    private State state = State.RUNNABLE;
    /** The last image written or restored from, the base of the next increment; null if there is none. */
    private String lastImageId;

    private int exitStatus = -1;
    private String failure;

    private WasiProcess(
            CompiledModule module,
            Limits limits,
            long maxFileSystemBytes,
            WasiSession session,
            Channels channels,
            Instance instance,
            Machine machine) {
        this.module = module;
        this.limits = limits;
        this.maxFileSystemBytes = maxFileSystemBytes;
        this.session = session;
        this.channels = channels;
        this.instance = instance;
        this.machine = machine;
    }

    /**
     * Instantiates {@code module} against {@code session} and prepares its {@code _start}. A module
     * that is not a WASI command (no exported {@code _start} taking and returning nothing) is a
     * {@link LinkException} naming what is missing. Its memory is charged to this JVM's
     * {@link MemoryBudget}.
     */
    public static WasiProcess start(
            CompiledModule module, WasiSession session, Limits limits, long maxFileSystemBytes) {
        return start(module, session, limits, maxFileSystemBytes, MemoryBudget.forThisJvm());
    }

    /**
     * As above, with the memory charged to {@code budget}: a memory that does not fit it from the
     * start is a {@link LimitExceededException}; a grow that does not fit returns -1 to the guest.
     */
    public static WasiProcess start(
            CompiledModule module, WasiSession session, Limits limits, long maxFileSystemBytes, MemoryBudget budget) {
        Store store = new Store();
        Channels channels = new Channels(session.outboxDoorbell());
        Instance instance;
        try {
            instance = Instance.instantiate(module, imports(session, channels), store, limits);
        } catch (OutOfMemoryError e) {
            throw new LimitExceededException("the host cannot allocate the module's initial memory");
        }
        charge(instance, budget);
        FunctionRef entry = instance.function(ENTRY);
        if (entry == null) {
            throw new LinkException("module exports no function \"" + ENTRY + "\": it is not a WASI command");
        }
        if (entry.params().length != 0 || entry.results().length != 0) {
            throw new LinkException("export \"" + ENTRY + "\" must take and return nothing, it takes "
                    + entry.params().length + " and returns " + entry.results().length + " values");
        }
        Machine machine = new Machine(store, limits);
        machine.start(entry);
        return new WasiProcess(module, limits, maxFileSystemBytes, session, channels, instance, machine);
    }

    /** What a process may import: WASI preview 1 and the {@code pm} module. */
    private static Imports imports(WasiSession session, Channels channels) {
        return Imports.builder()
                .all(new WasiPreview1(session).imports())
                .all(new PmChannels(channels).imports())
                .build();
    }

    /** Brings a process back from an image, bound to the host endpoints in {@code host}. Checks everything first. */
    public static WasiProcess restore(
            CompiledModule module, InputStream image, WasiSession.Builder host, Limits limits, long maxFileSystemBytes)
            throws IOException {
        return restore(module, List.of(image), host, limits, maxFileSystemBytes);
    }

    /** Brings a process back from a full image and the increments after it, in order. Checks everything first. */
    public static WasiProcess restore(
            CompiledModule module,
            List<InputStream> chain,
            WasiSession.Builder host,
            Limits limits,
            long maxFileSystemBytes)
            throws IOException {
        // Refused before the pages are allocated if they could not be charged afterwards.
        MemoryBudget budget = MemoryBudget.forThisJvm();
        ImageReader.Image read =
                ImageReader.readChain(chain, module.sha256(), Math.min(limits.memoryPages(), budget.pagesAvailable()));
        WasiSession session = host.restore(read.wasi(), maxFileSystemBytes);
        Channels channels = Channels.restore(read.channels(), session.outboxDoorbell());
        Snapshots.Restored restored = Snapshots.restore(
                module, read.execution(), imports(session, channels), new Store(), limits, read.memory());
        charge(restored.instance(), budget);
        WasiProcess p = new WasiProcess(
                module, limits, maxFileSystemBytes, session, channels, restored.instance(), restored.machine());
        p.lastImageId = read.header().getImageId();
        if (restored.machine().status() == Machine.Status.IDLE) {
            p.state = State.EXITED; // an image of a finished process
        }
        return p;
    }

    /**
     * Brings a process back from its parts as a migration carries them: the execution state
     * without pages, the session state, and the memory's contents (taken over, not copied).
     */
    public static WasiProcess restore(
            CompiledModule module,
            ExecutionState execution,
            WasiState wasi,
            byte[] memory,
            WasiSession.Builder host,
            Limits limits,
            long maxFileSystemBytes) {
        return restore(module, execution, wasi, null, memory, host, limits, maxFileSystemBytes);
    }

    /** As above, with the channel state the migration carried (null: empty channels). */
    public static WasiProcess restore(
            CompiledModule module,
            ExecutionState execution,
            WasiState wasi,
            ChannelState channelState,
            byte[] memory,
            WasiSession.Builder host,
            Limits limits,
            long maxFileSystemBytes) {
        WasiSession session = host.restore(wasi, maxFileSystemBytes);
        Channels channels = Channels.restore(channelState, session.outboxDoorbell());
        Snapshots.Restored restored =
                Snapshots.restore(module, execution, imports(session, channels), new Store(), limits, memory);
        charge(restored.instance(), MemoryBudget.forThisJvm());
        WasiProcess p = new WasiProcess(
                module, limits, maxFileSystemBytes, session, channels, restored.instance(), restored.machine());
        if (restored.machine().status() == Machine.Status.IDLE) {
            p.state = State.EXITED;
        }
        return p;
    }

    private static void charge(Instance instance, MemoryBudget budget) {
        if (instance.memory() != null) {
            instance.memory().chargeTo(budget);
        }
    }

    /** Runs for at most {@code fuel} instructions. */
    public State run(long fuel) {
        if (state == State.EXITED || state == State.FAILED) {
            return state;
        }
        try {
            switch (machine.run(fuel)) {
                case COMPLETED:
                    exitStatus = 0;
                    state = State.EXITED;
                    break;
                case BLOCKED:
                    state = State.SLEEPING;
                    break;
                case FROZEN:
                    state = State.FROZEN;
                    break;
                default:
                    state = State.RUNNABLE;
                    break;
            }
        } catch (ProcessExit e) {
            exitStatus = e.status();
            state = State.EXITED;
        } catch (TrapException | LimitExceededException e) {
            failure = e.getMessage();
            state = State.FAILED;
        } catch (OutOfMemoryError e) {
            // Guest memory is budgeted and a refused grow is -1; this is the last line, for whatever
            // else a guest made the host allocate: the process ends, the host goes on.
            failure = "the host ran out of memory while running this process";
            state = State.FAILED;
        }
        return state;
    }

    /** Stops the running slice at its next safepoint. Any thread. */
    public void requestFreeze() {
        machine.requestFreeze();
    }

    /** Withdraws a freeze request the last slice did not honour. Between slices, by the owning thread. */
    public void cancelFreezeRequest() {
        machine.cancelFreezeRequest();
    }

    /**
     * Writes the process as a full image and returns its id; later increments build on it. Call
     * between slices, never while {@link #run} is on another thread.
     */
    public String writeImage(OutputStream out, boolean compress) throws IOException {
        return write(out, compress, false);
    }

    /**
     * Writes only what changed since the last image this process wrote or was restored from, naming
     * that image as its base, and returns its id. Same threading as {@link #writeImage}.
     */
    public String writeIncrementalImage(OutputStream out, boolean compress) throws IOException {
        if (lastImageId == null) {
            throw new IllegalStateException("no base image to build an increment on: write a full image first");
        }
        return write(out, compress, true);
    }

    private String write(OutputStream out, boolean compress, boolean increment) throws IOException {
        MemoryInstance memory = instance.memory();
        BitSet changed = memory == null ? new BitSet() : memory.takeDirtyPages();
        String base = lastImageId;
        lastImageId = null; // until this image is whole: a failed write leaves no base, so the next must be full
        String id = UUID.randomUUID().toString();
        ImageHeader.Builder header = ImageWriter.headerFor(module.sha256(), id).setLimits(limitsProto());
        if (increment) {
            header.setBaseImageId(base);
        }
        new ImageWriter(out, compress)
                .write(
                        header.build(),
                        Snapshots.captureWithoutPages(instance, machine),
                        session.capture(),
                        channels.capture(),
                        memory == null ? null : memory.exactBytes(),
                        changed);
        lastImageId = id;
        return id;
    }

    private ProcessLimits limitsProto() {
        return ProcessLimits.newBuilder()
                .setMemoryPages(limits.memoryPages())
                .setMaxCallDepth(limits.maxCallDepth())
                .setMaxStackSlots(limits.maxStackSlots())
                .setMaxFsBytes(maxFileSystemBytes)
                .build();
    }

    /** The linear memory (null if the module has none), for page-by-page copies such as a migration's pre-copy. */
    public MemoryInstance memory() {
        return instance.memory();
    }

    /** The execution state without memory pages; same threading as {@link #writeImage}. */
    public ExecutionState captureExecution() {
        return Snapshots.captureWithoutPages(instance, machine);
    }

    /** The session's state; same threading as {@link #writeImage}. */
    public WasiState captureSession() {
        return session.capture();
    }

    /**
     * The channel state for a hand-off: seals the channels first, so that nothing is accepted into
     * this copy after the state that travels was taken ({@link Channels#unseal} if the hand-off fails).
     */
    public ChannelState sealChannels() {
        channels.seal();
        return channels.capture();
    }

    /** The process's channels: thread-safe, unlike everything else here. */
    public Channels channels() {
        return channels;
    }

    public State state() {
        return state;
    }

    /** Exit status once EXITED, else -1. */
    public int exitStatus() {
        return exitStatus;
    }

    /** Why the process FAILED (a trap or an exceeded limit), else null. */
    public String failure() {
        return failure;
    }

    /** Nanoseconds until a SLEEPING process may run again; {@link Long#MAX_VALUE} if only a wake will do (a receive, a blocked write). */
    public long nanosUntilWake() {
        return channels.waiting() || session.outputWaiting() ? Long.MAX_VALUE : session.nanosUntilWake();
    }

    /** Whether its code runs compiled, not interpreted (see {@link Machine#runsCompiledCode}). */
    public boolean runsCompiledCode() {
        return machine.runsCompiledCode();
    }

    public long instructionsRetired() {
        return machine.instructionsRetired();
    }

    public CompiledModule module() {
        return module;
    }

    public WasiSession session() {
        return session;
    }
}
