package pm.runtime.local;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import pm.runtime.interp.Machine;

/**
 * A parsed {@code ./pm run} or {@code ./pm resume} command line. {@code file} is the module (run)
 * or the image (resume); {@code module} is the module a resume uses ({@code --module}, else the
 * copy written beside the image); {@code freezeAfter} and {@code image} may be null.
 */
public record LocalOptions(
        boolean resume,
        Path file,
        List<String> guestArgs,
        List<DirMapping> dirs,
        List<String> env,
        Machine.Tier tier,
        Duration freezeAfter,
        Path image,
        Path module) {
    public static final String USAGE =
            "usage: pm run [--dir HOST::GUEST]... [--env K=V]... [--tier interp|compiled|auto]"
                    + " [--freeze-after DURATION] [--image FILE] MODULE.wasm [ARGS...]\n"
                    + "       pm resume [--dir HOST::GUEST]... [--module MODULE.wasm] [--tier ...] [--freeze-after DURATION]"
                    + " [--image FILE] IMAGE";

    public LocalOptions {
        guestArgs = List.copyOf(guestArgs);
        dirs = List.copyOf(dirs);
        env = List.copyOf(env);
    }

    /**
     * Parses the words after {@code run} or {@code resume}. Options come before the module; every
     * word after it is the guest's. A missing file or a bad value is a {@link UsageException}.
     */
    public static LocalOptions parse(boolean resume, List<String> words, Machine.Tier defaultTier) {
        List<DirMapping> dirs = new ArrayList<>();
        List<String> env = new ArrayList<>();
        Machine.Tier tier = defaultTier;
        Duration freezeAfter = null;
        Path image = null;
        Path module = null;
        int i = 0;
        for (; i < words.size() && words.get(i).startsWith("--"); i++) {
            String w = words.get(i);
            String option = w.contains("=") ? w.substring(0, w.indexOf('=')) : w;
            if (option.equals("--")) {
                i++;
                break;
            }
            String value;
            if (w.contains("=") && !option.equals(w)) {
                value = w.substring(option.length() + 1);
            } else if (i + 1 < words.size()) {
                value = words.get(++i);
            } else {
                throw new UsageException(option + " needs a value");
            }
            switch (option) {
                case "--dir":
                    dirs.add(DirMapping.parse(value));
                    break;
                case "--env":
                    if (!value.contains("=")) {
                        throw new UsageException("bad --env " + value + ": expected NAME=VALUE");
                    }
                    env.add(value);
                    break;
                case "--tier":
                    try {
                        tier = Machine.Tier.parse(value);
                    } catch (IllegalArgumentException e) {
                        throw new UsageException("bad --tier: " + e.getMessage());
                    }
                    break;
                case "--freeze-after":
                    freezeAfter = Durations.parse(value);
                    break;
                case "--image":
                    image = Path.of(value);
                    break;
                case "--module":
                    if (!resume) {
                        throw new UsageException(
                                "--module is for pm resume; pm run takes the module as its first argument");
                    }
                    module = Path.of(value);
                    break;
                default:
                    throw new UsageException("unknown option " + option);
            }
        }
        if (i >= words.size()) {
            throw new UsageException(resume ? "pm resume needs an IMAGE file" : "pm run needs a MODULE.wasm");
        }
        Path file = Path.of(words.get(i));
        List<String> rest = words.subList(i + 1, words.size());
        if (resume && !rest.isEmpty()) {
            throw new UsageException("pm resume takes one IMAGE; the program's arguments travel in the image");
        }
        if (freezeAfter != null && image == null) {
            throw new UsageException("--freeze-after needs --image FILE to freeze into");
        }
        requireReadable(file);
        if (resume) {
            module = module != null ? module : ImageFiles.moduleBeside(file);
            requireReadable(module);
        }
        return new LocalOptions(resume, file, rest, dirs, env, tier, freezeAfter, image, module);
    }

    private static void requireReadable(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UsageException("no such file: " + file);
        }
        if (!Files.isReadable(file)) {
            throw new UsageException("cannot read " + file);
        }
    }
}
