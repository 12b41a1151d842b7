package pm.common.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A daemon's settings from a properties file whose keys are its long flags without the dashes
 * ({@code bind = 10.0.0.2}, {@code zookeeper = zk1:2181}): picocli takes them as defaults, so a flag on
 * the command line wins. {@link #check} refuses a key no flag has and a value of the wrong type, naming
 * the file, before anything starts.
 */
public final class ConfigFile implements CommandLine.IDefaultValueProvider {
    private final Path file;
    private final Properties values;

    private ConfigFile(Path file, Properties values) {
        this.file = file;
        this.values = values;
    }

    /** The file a {@code --config FILE} (or {@code --config=FILE}) among {@code args} names. */
    public static Optional<Path> named(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return Optional.of(Path.of(args[i + 1]));
            }
            if (args[i].startsWith("--config=")) {
                return Optional.of(Path.of(args[i].substring("--config=".length())));
            }
        }
        return Optional.empty();
    }

    public static ConfigFile load(Path file) {
        Properties values = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            values.load(in);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such config file");
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": cannot read the config file: " + e.getMessage());
        }
        return new ConfigFile(file, values);
    }

    /** Refuses keys that are not long options of {@code spec} and values their option cannot take. */
    public void check(CommandSpec spec) {
        for (String key : new TreeSet<>(values.stringPropertyNames())) {
            OptionSpec option = spec.findOption("--" + key);
            if (option == null || key.equals("config") || option.usageHelp() || option.versionHelp()) {
                throw new IllegalArgumentException(file + ": unknown key '" + key + "' (keys are the long flags of "
                        + spec.qualifiedName() + " without the dashes; see --help)");
            }
            String value = values.getProperty(key).strip();
            Class<?> type = option.type();
            try {
                if (type == int.class || type == Integer.class) {
                    Integer.parseInt(value);
                } else if (type == long.class || type == Long.class) {
                    Long.parseLong(value);
                } else if (type == double.class || type == Double.class) {
                    Double.parseDouble(value);
                } else if ((type == boolean.class || type == Boolean.class)
                        && !value.equals("true")
                        && !value.equals("false")) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        file + ": '" + key + "' must be " + typeName(type) + ", not '" + value + "'");
            }
        }
    }

    @Override
    public String defaultValue(ArgSpec argSpec) {
        if (argSpec instanceof OptionSpec option) {
            String value = values.getProperty(option.longestName().replaceFirst("^-+", ""));
            return value == null ? null : value.strip();
        }
        return null;
    }

    private static String typeName(Class<?> type) {
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        return type == double.class || type == Double.class ? "a number" : "a whole number";
    }
}
