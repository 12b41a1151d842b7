package pm.client.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * pmctl's settings file: {@code $PM_CONFIG}, else {@code $HOME/.config/pm/pmctl.properties}, with the
 * keys {@code coordinator}, {@code ca}, {@code cert} and {@code key}. {@code ./pm dev} writes one, so
 * {@code ./pmctl ps} on the same machine needs no flags. A missing file means no settings; the
 * environment is injected (tests pass their own) so nothing outside it is read.
 */
public record ClientConfig(Properties values) {
    static final String ENV = "PM_CONFIG";

    /**
     * Writes a config naming {@code coordinator} and, unless null, the TLS files, to {@link #location}
     * (creating its directory); returns the file.
     */
    public static Path write(Map<String, String> env, String coordinator, Path ca, Path cert, Path key)
            throws IOException {
        Path file = location(env);
        if (file == null) {
            throw new IOException("neither $" + ENV + " nor $HOME is set: nowhere to write pmctl's config");
        }
        Properties values = new Properties();
        values.setProperty("coordinator", coordinator);
        if (ca != null) {
            values.setProperty("ca", ca.toAbsolutePath().toString());
            values.setProperty("cert", cert.toAbsolutePath().toString());
            values.setProperty("key", key.toAbsolutePath().toString());
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (java.io.Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            values.store(out, "written by ./pm dev; pmctl reads it when no flag or PM_* variable says otherwise");
        }
        return file;
    }

    static ClientConfig find(Map<String, String> env) {
        Path file = location(env);
        Properties values = new Properties();
        if (file != null && Files.isRegularFile(file)) {
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                values.load(in);
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": cannot read pmctl's config: " + e.getMessage());
            }
        }
        return new ClientConfig(values);
    }

    /** Where the file is looked for, or null when the environment names no home. */
    public static Path location(Map<String, String> env) {
        String explicit = env.get(ENV);
        if (explicit != null && !explicit.isEmpty()) {
            return Path.of(explicit);
        }
        String home = env.get("HOME");
        return home == null || home.isEmpty() ? null : Path.of(home, ".config", "pm", "pmctl.properties");
    }

    String get(String key) {
        String v = values.getProperty(key);
        return v == null || v.isBlank() ? null : v.strip();
    }
}
