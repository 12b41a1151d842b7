package pm.runtime.local;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import pm.runtime.LimitExceededException;
import pm.runtime.LinkException;
import pm.runtime.MalformedModuleException;
import pm.runtime.StateFormatException;
import pm.runtime.StateMismatchException;
import pm.runtime.WasmException;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.process.WasiProcess;
import pm.runtime.wasi.FileSystem;
import pm.runtime.wasi.WasiSession;

/**
 * {@code ./pm run} and {@code ./pm resume}: one WebAssembly (WASI preview 1) program on this
 * machine, no cluster, with wasmtime's conventions (see README). Exit status: the guest's own; 2
 * for a command line or input that cannot run; 134 when the program traps or exceeds a limit (as
 * wasmtime, 128 + SIGABRT); 75 (EX_TEMPFAIL: "continue later") when it was frozen into an image.
 *
 * <p>Threads: the main thread runs the program and owns it; a timer thread ({@code
 * --freeze-after}) and the JVM's signal thread (SIGINT, SIGTERM with {@code --image}) only ask for
 * a freeze through a {@link FreezeTrigger}.
 */
public final class LocalMain {
    static final int BAD_INPUT = 2;
    static final int FROZEN = 75;
    static final int TRAPPED = 134;
    /** The in-memory file systems a program's folders are copied into hold at most this. */
    private static final long FS_BYTES = 1L << 30;

    private final InputStream stdin;
    private final PrintStream stdout;
    private final PrintStream stderr;

    LocalMain(InputStream stdin, PrintStream stdout, PrintStream stderr) {
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true);
        int status = new LocalMain(System.in, out, err).execute(Arrays.asList(args));
        out.flush();
        System.exit(status);
    }

    /** Runs the command line {@code run ...} or {@code resume ...}; returns the exit status. */
    int execute(List<String> words) {
        String command = words.isEmpty() ? "" : words.get(0);
        if (!command.equals("run") && !command.equals("resume")) {
            stderr.println(LocalOptions.USAGE);
            return BAD_INPUT;
        }
        try {
            LocalOptions options =
                    LocalOptions.parse(command.equals("resume"), words.subList(1, words.size()), Machine.defaultTier());
            return options.resume() ? resume(options) : run(options);
        } catch (UsageException e) {
            stderr.println("pm " + command + ": " + e.getMessage());
            return BAD_INPUT;
        } catch (IOException e) {
            stderr.println("pm " + command + ": " + e.getMessage());
            return BAD_INPUT;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stderr.println("pm " + command + ": interrupted");
            return TRAPPED;
        }
    }

    private int run(LocalOptions o) throws IOException, InterruptedException {
        byte[] bytes = Files.readAllBytes(o.file());
        CompiledModule module = compile(bytes, o.file().toString());
        Map<String, HostFolder> folders = new LinkedHashMap<>();
        List<String> args = new ArrayList<>();
        args.add(o.file().getFileName().toString());
        args.addAll(o.guestArgs());
        WasiSession.Builder session = endpoints().args(args).environment(o.env());
        for (DirMapping d : o.dirs()) {
            HostFolder folder = new HostFolder(d.host());
            session.preopen(d.guest(), folder.load(LocalMain::nowNanos, FS_BYTES));
            folders.put(d.guest(), folder);
        }
        WasiProcess process;
        try {
            process = WasiProcess.start(module, session.build(), Limits.DEFAULT.withTier(o.tier()), FS_BYTES);
        } catch (LinkException | LimitExceededException e) {
            throw new UsageException(o.file() + ": " + e.getMessage());
        }
        return carryOn(process, bytes, folders, o);
    }

    private int resume(LocalOptions o) throws IOException, InterruptedException {
        byte[] bytes = Files.readAllBytes(o.module());
        CompiledModule module = compile(bytes, o.module().toString());
        WasiProcess process;
        try (InputStream image = Files.newInputStream(o.file())) {
            process = WasiProcess.restore(module, image, endpoints(), Limits.DEFAULT.withTier(o.tier()), FS_BYTES);
        } catch (StateFormatException | StateMismatchException | LinkException | LimitExceededException e) {
            throw new UsageException(o.file() + " cannot be resumed with module " + o.module() + ": " + e.getMessage());
        }
        Map<String, HostFolder> folders = new LinkedHashMap<>();
        for (DirMapping d : o.dirs()) {
            FileSystem fs = process.session().preopen(d.guest());
            if (fs == null) {
                throw new UsageException(
                        "bad --dir " + d.host() + "::" + d.guest() + ": the image has no folder " + d.guest());
            }
            HostFolder folder = new HostFolder(d.host());
            folder.rememberAsCopiedIn(fs);
            folders.put(d.guest(), folder);
        }
        return carryOn(process, bytes, folders, o);
    }

    private int carryOn(WasiProcess process, byte[] module, Map<String, HostFolder> folders, LocalOptions o)
            throws IOException, InterruptedException {
        FreezeTrigger trigger = new FreezeTrigger(process::requestFreeze);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm-run-freeze-timer");
            t.setDaemon(true);
            return t;
        });
        try {
            if (o.freezeAfter() != null && o.freezeAfter().isZero()) {
                trigger.request(); // at the first safepoint, whatever the timer thread's luck
            } else if (o.freezeAfter() != null) {
                timer.schedule(trigger::request, o.freezeAfter().toNanos(), TimeUnit.NANOSECONDS);
            }
            if (o.image() != null) {
                Signals.freezeOn(trigger);
            }
            LocalRun.Ending ending = process.state() == WasiProcess.State.EXITED
                    ? LocalRun.Ending.EXITED
                    : LocalRun.drive(process, trigger);
            stdout.flush();
            if (ending == LocalRun.Ending.FROZEN) {
                ImageFiles.write(process, module, o.image());
                stderr.println("pm: frozen into " + o.image() + "; continue with: ./pm resume " + o.image());
                return FROZEN;
            }
            for (Map.Entry<String, HostFolder> f : folders.entrySet()) {
                f.getValue().writeBack(process.session().preopen(f.getKey()));
            }
            if (ending == LocalRun.Ending.FAILED) {
                stderr.println("pm: the program failed: " + process.failure());
                return TRAPPED;
            }
            return process.exitStatus();
        } finally {
            timer.shutdownNow();
        }
    }

    private WasiSession.Builder endpoints() {
        return WasiSession.builder()
                .stdin(Terminal.input(stdin))
                .stdout(Terminal.output(stdout))
                .stderr(Terminal.output(stderr));
    }

    private static CompiledModule compile(byte[] bytes, String name) {
        try {
            return CompiledModule.compile(bytes);
        } catch (MalformedModuleException e) {
            throw new UsageException(name + " is not a WebAssembly module: " + e.getMessage());
        } catch (WasmException e) {
            throw new UsageException(name + " is not a valid WebAssembly module: " + e.getMessage());
        }
    }

    private static long nowNanos() {
        return System.currentTimeMillis() * 1_000_000L;
    }
}
